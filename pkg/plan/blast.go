package plan

// Outcomes of forcessl's blast-radius controls (pkg/gate decides them).
const (
	// OutcomePaused: something to change was found while a pause covers
	// the resource; told as report mode tells it, once per resource and
	// pause.
	OutcomePaused Outcome = "paused"
	// OutcomeBreakerOpen: a resource forcessl rebooted did not come back
	// within FORCESSL_RESTART_TIMEOUT: its account's breaker opened.
	OutcomeBreakerOpen Outcome = "breaker-open"
)
