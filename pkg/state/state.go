package state

import (
	"context"
	"errors"
	"time"
)

// Key is a resource's identity: RDS's immutable resource ID (DbiResourceId
// "db-…" or DbClusterResourceId "cluster-…") in one account and region. The
// name is deliberately not part of it, so a rename keeps its history.
type Key struct{ Account, Region, ResourceID string }

// Intent is a change forcessl made that still owes a reboot.
type Intent struct {
	RecordedAt time.Time
	Group      string   // the parameter group forcessl changed or attached
	Changes    []string // what it changed, for messages and history
	Cause      string   // the trigger that made the change (event ID, sweep run)
	// Restarts are forcessl's reboots for this intent, each written before
	// its RebootDBInstance/RebootDBCluster call and confirmed after it. A
	// target forcessl restarted is never restarted again for the same
	// intent: what waits on it afterwards is not forcessl's change.
	Restarts []Restart
}

// Restart is one of forcessl's reboots, recorded before the call is made.
type Restart struct {
	Target string // the instance, member or Multi-AZ DB cluster restarted
	At     time.Time
	// Confirmed: the call returned success. Unconfirmed means the run
	// stopped, or the call failed in a way that does not say whether RDS
	// acted (a timeout, a 5xx).
	Confirmed bool
}

// OwedNotice is a message forcessl decided to send whose publish has not
// succeeded yet (the outbox): the next run for the resource sends it.
type OwedNotice struct {
	Outcome, Fingerprint string
	Body                 []byte // the notice, opaque here (JSON)
	Since                time.Time
}

// NoticeMark remembers the last notice sent for a resource, so a repeat is
// counted rather than sent again.
type NoticeMark struct {
	Fingerprint, Outcome string
	FirstSent, LastSeen  time.Time
	Count                int
}

// HubMark remembers the last finding imported into Security Hub.
type HubMark struct {
	Fingerprint string
	ImportedAt  time.Time
}

// Resource is what forcessl remembers about one resource between runs.
type Resource struct {
	Key                Key
	Kind, Name, Engine string // Kind is KindInstance or KindCluster
	State              string
	StateSince         time.Time // when the current State was first seen
	LastAction         string
	LastActionAt       time.Time
	Intent             *Intent
	Notice             *NoticeMark
	SecurityHub        *HubMark
	Owed               *OwedNotice
	// LookFailed counts the looks after forcessl's reboot that could not
	// read the resource, in a row: the breaker opens on a look that keeps
	// failing. A look that reads the resource clears it.
	LookFailed *LookFailures
	Version    int64 // optimistic concurrency: 0 for a resource never stored
	UpdatedAt  time.Time
	// Fence, when set, makes PutResource succeed only while that lease is
	// still held under its token (ErrLeaseLost otherwise). Not stored.
	Fence *Lease
}

// LookFailures are the failed looks at a resource after forcessl's reboot:
// how many in a row, since when, and the error codes they met (never the
// messages, which may carry request IDs or ARNs).
type LookFailures struct {
	Count int
	Since time.Time
	Codes []string // distinct, in the order first met
}

// Lease is a resource's lease as its holder, or a run waiting for it, saw
// it. Nothing in it is a wall-clock time: a waiter decides that a holder
// has stopped only by seeing Version unchanged for a whole Period on its
// own monotonic clock (the rule of the DynamoDB Lock Client), so hosts whose
// clocks disagree cannot take each other's live leases.
type Lease struct {
	Key   Key
	Owner string
	// Token names one holding: writes fenced on it fail as soon as the
	// lease has been taken over, however late the old holder wakes up.
	Token string
	// Version changes at every renewal.
	Version string
	// Period is how long the holder promises to renew within.
	Period time.Duration
}

// Resource kinds, as stored in the kind attribute and the name-link key.
const (
	KindInstance = "db-instance"
	KindCluster  = "db-cluster"
)

// HistoryEntry is one decision or action, kept for the history command.
type HistoryEntry struct {
	At                                     time.Time
	Name                                   string // the identifier at that time
	Trigger, Cause, State, Outcome, Reason string // Trigger: event ID or "sweep <id>"
	Steps, Changed                         []string
}

// NameLink ties an identifier to a resource ID that has carried it, so a
// blue/green switchover (a new resource ID under the old name) can be found
// from the name.
type NameLink struct {
	ResourceID          string
	FirstSeen, LastSeen time.Time
}

// Run is one sweep run: how many work items it fanned out and how many have
// reported. DigestClaimedAt is when a caller last claimed the digest (zero
// if none holds a claim), DigestSentAt when one confirmed it sent.
type Run struct {
	SweepID, Mode                 string
	StartedAt, Deadline           time.Time
	Total, Done                   int
	DigestClaimedAt, DigestSentAt time.Time
	// Expected names the work items ("account/region"), so a digest sent
	// at the deadline can say which ones never reported.
	Expected []string
}

// ItemRecord is one sweep work item's result. Report is opaque to this
// package: the caller marshals it (JSON) and reads it back.
type ItemRecord struct {
	Account, Region string
	RecordedAt      time.Time
	Report          []byte
}

var (
	// ErrConflict means an optimistic write lost: someone else wrote the
	// item since it was read. Re-read and decide again.
	ErrConflict = errors.New("state: conflicting write (item changed since it was read)")
	// ErrLeaseLost means the caller's lease was taken over (its holding
	// token is gone): stop writing, and let a retry start over.
	ErrLeaseLost = errors.New("state: lease lost (taken over by another run)")
	// ErrUnknownRun means a sweep run was used before StartRun stored it.
	ErrUnknownRun = errors.New("state: unknown sweep run")
)

// Store is forcessl's memory. Every method is safe for concurrent use, and
// none depends on TTL having deleted anything: expiry is always compared
// with the times passed in.
type Store interface {
	// Resource reads a resource's state (strongly consistent).
	Resource(ctx context.Context, k Key) (Resource, bool, error)
	// PutResource writes r if the stored version is still r.Version (absent
	// counts as 0) and stores version r.Version+1; ErrConflict otherwise.
	PutResource(ctx context.Context, r Resource) error

	// AppendHistory adds an entry that expires keepFor after e.At (never,
	// if keepFor <= 0).
	AppendHistory(ctx context.Context, k Key, e HistoryEntry, keepFor time.Duration) error
	// History returns every entry, oldest first. Entries with the same At
	// come back in no particular order.
	History(ctx context.Context, k Key) ([]HistoryEntry, error)

	// LinkName records that resourceID carried name at time at: FirstSeen
	// is the earliest and LastSeen the latest time ever linked.
	LinkName(ctx context.Context, account, region, kind, name, resourceID string, at time.Time) error
	// Names returns every resource ID that has carried the name.
	Names(ctx context.Context, account, region, kind, name string) ([]NameLink, error)

	// Acquire takes the resource's lease for owner, for period, if nobody
	// holds it or owner does (a new holding: a new token). When someone
	// else holds it, it returns false and their lease as stored, for the
	// caller to watch. No clock is compared.
	Acquire(ctx context.Context, k Key, owner string, period time.Duration) (Lease, bool, error)
	// TakeOver takes the lease from a holder the caller has watched at
	// stale.Version for a whole stale.Period: only if it is still exactly
	// that holding and version. False when it moved (renewed, released,
	// taken by another).
	TakeOver(ctx context.Context, stale Lease, owner string, period time.Duration) (Lease, bool, error)
	// Renew starts a new period of l's holding (a new Version);
	// ErrLeaseLost when the holding is gone.
	Renew(ctx context.Context, l Lease) (Lease, error)
	// Release drops the lease if l's holding still has it; otherwise (gone,
	// taken over) it does nothing and returns nil.
	Release(ctx context.Context, l Lease) error

	// StartRun stores a sweep run; starting the same ID again is a no-op
	// (the first start's run, Expected list included, stays).
	StartRun(ctx context.Context, r Run) error
	// Run reads a sweep run with its Expected list, without its items.
	// ErrUnknownRun if the run was never started.
	Run(ctx context.Context, sweepID string) (Run, error)
	// RecordItem records one work item's result exactly once, however often
	// SQS delivers it, and counts it in the run's Done in the same atomic
	// write. It returns whether this call recorded it and the run as it
	// stands afterwards. ErrUnknownRun if the run was never started.
	RecordItem(ctx context.Context, sweepID string, it ItemRecord) (recorded bool, run Run, err error)
	// ClaimDigest claims the sending of the run's digest at time at: true
	// for exactly one caller, unless the digest is confirmed sent or
	// another claim is younger than DigestClaimFor (one older is taken
	// over: its holder has died). ErrUnknownRun if the run was never
	// started.
	ClaimDigest(ctx context.Context, sweepID string, at time.Time) (bool, error)
	// ReleaseDigest drops the claim made at claimedAt, if it still holds,
	// after its send failed, so the next caller sends.
	ReleaseDigest(ctx context.Context, sweepID string, claimedAt time.Time) error
	// ConfirmDigest records that the digest was sent at time at: no later
	// claim wins.
	ConfirmDigest(ctx context.Context, sweepID string, at time.Time) error
	// RunItems returns the run and every item recorded under it, ordered by
	// account and region. ErrUnknownRun if the run was never started.
	RunItems(ctx context.Context, sweepID string) (Run, []ItemRecord, error)
}
