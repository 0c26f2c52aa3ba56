"""Models of the campaigns app, defined by sub-domain module and re-exported here for Django."""

from campaigns.models.campaign import (  # noqa: F401
    Campaign,
    CampaignGroupObjectPermission,
    CampaignStatus,
    CampaignUserObjectPermission,
)
from campaigns.models.graph import Activity, Transition  # noqa: F401
from campaigns.models.lifecycle import (  # noqa: F401
    CampaignReview,
    CampaignSchedule,
    CampaignVersion,
    Launch,
    LaunchOutcome,
    LaunchSource,
    ScheduleKind,
    SendConfirmation,
    VersionState,
)
from campaigns.models.runs import (  # noqa: F401
    Run,
    RunEvent,
    RunKind,
    RunStatus,
    Task,
    TaskStatus,
    TransitionResult,
)
