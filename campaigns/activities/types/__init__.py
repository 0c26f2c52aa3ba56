"""Built-in activity types; importing this package registers each one (one module per type)."""

from campaigns.activities.types import (  # noqa: F401
    alert,
    and_join,
    build_audience,
    change_dimension,
    combine,
    deduplication,
    end,
    enrichment,
    fork,
    incremental_query,
    load_file,
    read_audience,
    reconciliation,
    save_audience,
    split,
    test,
    wait,
)
