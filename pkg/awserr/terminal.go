package awserr

import "errors"

// TerminalError is an error a retry cannot fix: the resource is gone, the
// input is wrong, forcessl lacks permission. It is made once, where the
// engine meets the SDK (pkg/observe, pkg/apply), so the reconcile loop
// decides retry-or-give-up in one place, with errors.As, like
// controller-runtime's reconcile.TerminalError. Anything not marked
// terminal is worth retrying: Lambda retries the event, and in the end the
// dead-letter queue keeps it.
type TerminalError struct{ Err error }

func (e *TerminalError) Error() string { return e.Err.Error() }
func (e *TerminalError) Unwrap() error { return e.Err }

// Terminal marks err as one a retry cannot fix (nil stays nil).
func Terminal(err error) error {
	if err == nil || IsTerminal(err) {
		return err
	}
	return &TerminalError{Err: err}
}

// Classify returns err marked terminal when its AWS error code is
// permanent, and unchanged otherwise (throttling that outlasted the SDK's
// retries, 5xx, network errors, an instance briefly not available).
func Classify(err error) error {
	if Permanent(err) {
		return Terminal(err)
	}
	return err
}

// IsTerminal reports whether err, or an error it wraps, is terminal.
func IsTerminal(err error) bool {
	var t *TerminalError
	return errors.As(err, &t)
}
