// Package rdsevent turns the payloads the remediator receives (RDS events and
// RDS API calls delivered by EventBridge, and forcessl's own scheduled
// actions) into a Request that carries identity only. Following the
// reconcile-loop habit, nothing else from an event is trusted: the engine
// re-reads every fact from RDS. Parsing is pure and never panics.
package rdsevent
