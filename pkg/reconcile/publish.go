package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/forcessl/forcessl/pkg/notify"
)

// A publish is the one side effect of a run that no lease fences: SNS takes
// no condition, so a holder whose lease ran out during a slow publish (the
// SDK's retries, a slow endpoint) would publish after the run that took the
// lease over had told the same thing (the simulator's seed 2036: a
// "verified" told twice). So a publish made under a lease happens inside
// the lease: the lease is renewed first (which proves it is still held),
// and the publish is given up before anyone can take the lease over. A
// waiter takes over only after seeing the renewal unchanged for a whole
// period on its own clock, so no earlier than the renewal was sent plus
// one period; the publish's deadline is publishMargin before that, which
// leaves an abandoned request time to be processed (or dropped) by SNS
// before a new holder can publish.
const (
	publishMargin = 5 * time.Second
	// minPublish: with less time than this left, the run does not start
	// a publish it would likely give up (the renewal itself was slow).
	minPublish = time.Second
)

// errLeaseTooShort: the lease's renewal took so long that no publish fits
// in the rest of its period.
var errLeaseTooShort = errors.New("the lease's renewal left no time to publish inside it")

// publishWithin is how long a publish may take when the lease of period
// was renewed by a request sent at renewedAt, seen at now (both on the
// run's own clock): 0 when it is too little to start one.
func publishWithin(renewedAt, now time.Time, period time.Duration) time.Duration {
	left := period - publishMargin - now.Sub(renewedAt)
	if now.Before(renewedAt) || left < minPublish {
		return 0
	}
	return left
}

// publish sends a notice. Under a lease it is fenced by it: the lease is
// renewed first (a run that lost it publishes nothing: the new holder
// tells what is owed), and the publish is bounded to the lease's period.
// A publish given up at its deadline may or may not have happened: it is
// an error, like any failed publish, so the message stays owed (a
// change's) or unmarked (a finding's) and is told again; at least once.
func (r *run) publish(ctx context.Context, n notify.Notice) error {
	if r.lease == nil {
		return r.Notifier.Publish(ctx, n)
	}
	renewedAt := r.Now()
	if err := r.renew(ctx); err != nil {
		return fmt.Errorf("before publishing: %w", err)
	}
	period := r.lease.Period
	if period <= 0 {
		period = LeaseFor
	}
	within := publishWithin(renewedAt, r.Now(), period)
	if within == 0 {
		return errLeaseTooShort
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := r.Notifier.Publish(ctx, n); err != nil {
		return fmt.Errorf("publish within the lease (%s): %w", within, err)
	}
	return nil
}
