"""Campaign lifecycle: the state machine, frozen versions, review, publishing, launches and send holds."""
