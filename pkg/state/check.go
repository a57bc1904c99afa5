package state

import (
	"errors"
	"fmt"
	"time"
)

// Input checks shared by both stores, so a bad call fails the same way in
// tests (Memory) as in production (Dynamo), before any write.

func checkResource(r Resource) error {
	if err := r.Key.check(); err != nil {
		return err
	}
	if r.Version < 0 {
		return fmt.Errorf("state: resource %s: negative version %d", r.Key, r.Version)
	}
	return nil
}

func checkHistory(k Key, e HistoryEntry) error {
	if err := k.check(); err != nil {
		return err
	}
	if e.At.IsZero() {
		return fmt.Errorf("state: history entry for %s without a time", k)
	}
	return nil
}

func checkName(account, region, kind, name, resourceID string, at time.Time) error {
	if err := checkParts("name link", account, region, kind, name, resourceID); err != nil {
		return err
	}
	if at.IsZero() {
		return errors.New("state: name link without a time")
	}
	return nil
}

func checkLease(k Key, owner string, period time.Duration) error {
	if err := k.check(); err != nil {
		return err
	}
	if owner == "" {
		return fmt.Errorf("state: lease on %s without an owner", k)
	}
	if period <= 0 {
		return fmt.Errorf("state: lease on %s for a period of %s", k, period)
	}
	return nil
}

func checkRun(r Run) error {
	if err := checkParts("sweep run", r.SweepID); err != nil {
		return err
	}
	if r.StartedAt.IsZero() {
		return fmt.Errorf("state: sweep run %s without a start time", r.SweepID)
	}
	return nil
}

func checkItem(sweepID string, it ItemRecord) error {
	return checkParts("sweep item", sweepID, it.Account, it.Region)
}

func checkClaim(sweepID string, at time.Time) error {
	if err := checkParts("sweep run", sweepID); err != nil {
		return err
	}
	if at.IsZero() {
		return fmt.Errorf("state: digest claim for sweep %s without a time", sweepID)
	}
	return nil
}
