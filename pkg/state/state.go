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
	Version            int64 // optimistic concurrency: 0 for a resource never stored
	UpdatedAt          time.Time
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

	// Acquire takes the resource's lease for owner until `until` if nobody
	// else holds one that is unexpired at now (the expiry is checked in the
	// write's condition, never left to TTL). It returns false, nil when
	// someone else holds it; re-acquiring one's own lease extends it.
	Acquire(ctx context.Context, k Key, owner string, now, until time.Time) (bool, error)
	// Release drops the lease if owner still holds it; otherwise (gone,
	// expired and taken over) it does nothing and returns nil.
	Release(ctx context.Context, k Key, owner string) error

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
