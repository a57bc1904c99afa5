package state

import (
	"errors"
	"fmt"
	"time"
)

// The item types below are the table's rows, field for field. Both stores
// keep them (Memory in maps, Dynamo through attributevalue), so they
// normalise values (UTC times, nil for empty lists) in exactly the same way
// and the conformance suite can compare their results directly.

type resourceItem struct {
	PK           string      `dynamodbav:"pk"`
	SK           string      `dynamodbav:"sk"`
	Kind         string      `dynamodbav:"kind,omitempty"`
	Name         string      `dynamodbav:"name,omitempty"`
	Engine       string      `dynamodbav:"engine,omitempty"`
	State        string      `dynamodbav:"state,omitempty"`
	StateSince   string      `dynamodbav:"stateSince,omitempty"`
	LastAction   string      `dynamodbav:"lastAction,omitempty"`
	LastActionAt string      `dynamodbav:"lastActionAt,omitempty"`
	Intent       *intentAttr `dynamodbav:"intent,omitempty"`
	Notice       *noticeAttr `dynamodbav:"notice,omitempty"`
	SecurityHub  *hubAttr    `dynamodbav:"securityHub,omitempty"`
	Owed         *owedAttr   `dynamodbav:"owed,omitempty"`
	LookFailed   *lookAttr   `dynamodbav:"lookFailed,omitempty"`
	Version      int64       `dynamodbav:"version"`
	UpdatedAt    string      `dynamodbav:"updatedAt,omitempty"`
}

type intentAttr struct {
	RecordedAt string        `dynamodbav:"recordedAt,omitempty"`
	Group      string        `dynamodbav:"group,omitempty"`
	Changes    []string      `dynamodbav:"changes,omitempty"`
	Cause      string        `dynamodbav:"cause,omitempty"`
	Restarts   []restartAttr `dynamodbav:"restarts,omitempty"`
}

type restartAttr struct {
	Target    string `dynamodbav:"target"`
	At        string `dynamodbav:"at"`
	Confirmed bool   `dynamodbav:"confirmed"`
}

type owedAttr struct {
	Outcome     string `dynamodbav:"outcome,omitempty"`
	Fingerprint string `dynamodbav:"fingerprint,omitempty"`
	Body        string `dynamodbav:"body,omitempty"`
	Since       string `dynamodbav:"since,omitempty"`
}

type noticeAttr struct {
	Fingerprint string `dynamodbav:"fingerprint,omitempty"`
	Outcome     string `dynamodbav:"outcome,omitempty"`
	FirstSent   string `dynamodbav:"firstSent,omitempty"`
	LastSeen    string `dynamodbav:"lastSeen,omitempty"`
	Count       int    `dynamodbav:"count"`
}

type lookAttr struct {
	Count int      `dynamodbav:"count"`
	Since string   `dynamodbav:"since,omitempty"`
	Codes []string `dynamodbav:"codes,omitempty"`
}

type hubAttr struct {
	Fingerprint string `dynamodbav:"fingerprint,omitempty"`
	ImportedAt  string `dynamodbav:"importedAt,omitempty"`
}

type historyItem struct {
	PK      string   `dynamodbav:"pk"`
	SK      string   `dynamodbav:"sk"`
	At      string   `dynamodbav:"at"`
	Name    string   `dynamodbav:"name,omitempty"`
	Trigger string   `dynamodbav:"trigger,omitempty"`
	Cause   string   `dynamodbav:"cause,omitempty"`
	State   string   `dynamodbav:"state,omitempty"`
	Outcome string   `dynamodbav:"outcome,omitempty"`
	Reason  string   `dynamodbav:"reason,omitempty"`
	Steps   []string `dynamodbav:"steps,omitempty"`
	Changed []string `dynamodbav:"changed,omitempty"`
	TTL     int64    `dynamodbav:"ttl,omitempty"`
}

type nameItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"` // the resource ID
	FirstSeen string `dynamodbav:"firstSeen"`
	LastSeen  string `dynamodbav:"lastSeen"`
}

type runItem struct {
	PK           string `dynamodbav:"pk"`
	SK           string `dynamodbav:"sk"`
	Mode         string `dynamodbav:"mode,omitempty"`
	StartedAt    string `dynamodbav:"startedAt"`
	Deadline     string `dynamodbav:"deadline,omitempty"`
	Total        int    `dynamodbav:"total"`
	Done         int    `dynamodbav:"done"`
	DigestSentAt string `dynamodbav:"digestSentAt,omitempty"`
	// DigestClaimedAt: a caller is sending the digest (see ClaimDigest).
	DigestClaimedAt string `dynamodbav:"digestClaimedAt,omitempty"`
	// Expected is only read: versions before shards kept the list here,
	// which grew past 400 KB at ~14,000 work items.
	Expected []string `dynamodbav:"expected,omitempty"`
	// ExpectedSet and ExpectedShards name the run's Expected shards
	// (sweep_rows.go).
	ExpectedSet    string `dynamodbav:"expectedSet,omitempty"`
	ExpectedShards int    `dynamodbav:"expectedShards,omitempty"`
	TTL            int64  `dynamodbav:"ttl"`
}

type recordItem struct {
	PK         string `dynamodbav:"pk"`
	SK         string `dynamodbav:"sk"`
	Account    string `dynamodbav:"account"`
	Region     string `dynamodbav:"region"`
	RecordedAt string `dynamodbav:"recordedAt"`
	Report     string `dynamodbav:"report,omitempty"` // JSON text, opaque here; absent when chunked
	// Encoding, ChunkSet and Chunks reference a large report's chunk rows
	// (sweep_rows.go); absent for a report kept inline.
	Encoding string `dynamodbav:"encoding,omitempty"`
	ChunkSet string `dynamodbav:"chunkSet,omitempty"`
	Chunks   int    `dynamodbav:"chunks,omitempty"`
	TTL      int64  `dynamodbav:"ttl"`
}

func toResourceItem(r Resource, version int64) resourceItem {
	it := resourceItem{
		PK: r.Key.pk(), SK: skState, Kind: r.Kind, Name: r.Name, Engine: r.Engine,
		State: r.State, StateSince: fmtTime(r.StateSince),
		LastAction: r.LastAction, LastActionAt: fmtTime(r.LastActionAt),
		Version: version, UpdatedAt: fmtTime(r.UpdatedAt),
	}
	if i := r.Intent; i != nil {
		it.Intent = &intentAttr{RecordedAt: fmtTime(i.RecordedAt), Group: i.Group, Changes: cloneStrings(i.Changes), Cause: i.Cause}
		for _, r := range i.Restarts {
			it.Intent.Restarts = append(it.Intent.Restarts, restartAttr{Target: r.Target, At: fmtTime(r.At), Confirmed: r.Confirmed})
		}
	}
	if o := r.Owed; o != nil {
		it.Owed = &owedAttr{Outcome: o.Outcome, Fingerprint: o.Fingerprint, Body: string(o.Body), Since: fmtTime(o.Since)}
	}
	if n := r.Notice; n != nil {
		it.Notice = &noticeAttr{Fingerprint: n.Fingerprint, Outcome: n.Outcome,
			FirstSent: fmtTime(n.FirstSent), LastSeen: fmtTime(n.LastSeen), Count: n.Count}
	}
	if h := r.SecurityHub; h != nil {
		it.SecurityHub = &hubAttr{Fingerprint: h.Fingerprint, ImportedAt: fmtTime(h.ImportedAt)}
	}
	if l := r.LookFailed; l != nil {
		it.LookFailed = &lookAttr{Count: l.Count, Since: fmtTime(l.Since), Codes: cloneStrings(l.Codes)}
	}
	return it
}

// times parses several stored times at once, keeping the first error.
type times struct{ err error }

func (p *times) at(s string) time.Time {
	t, err := parseTime(s)
	p.err = errors.Join(p.err, err)
	return t
}

func (it resourceItem) resource(k Key) (Resource, error) {
	var p times
	r := Resource{
		Key: k, Kind: it.Kind, Name: it.Name, Engine: it.Engine,
		State: it.State, StateSince: p.at(it.StateSince),
		LastAction: it.LastAction, LastActionAt: p.at(it.LastActionAt),
		Version: it.Version, UpdatedAt: p.at(it.UpdatedAt),
	}
	if i := it.Intent; i != nil {
		r.Intent = &Intent{RecordedAt: p.at(i.RecordedAt), Group: i.Group, Changes: cloneStrings(i.Changes), Cause: i.Cause}
		for _, rs := range i.Restarts {
			r.Intent.Restarts = append(r.Intent.Restarts, Restart{Target: rs.Target, At: p.at(rs.At), Confirmed: rs.Confirmed})
		}
	}
	if o := it.Owed; o != nil {
		r.Owed = &OwedNotice{Outcome: o.Outcome, Fingerprint: o.Fingerprint, Since: p.at(o.Since)}
		if o.Body != "" {
			r.Owed.Body = []byte(o.Body)
		}
	}
	if n := it.Notice; n != nil {
		r.Notice = &NoticeMark{Fingerprint: n.Fingerprint, Outcome: n.Outcome,
			FirstSent: p.at(n.FirstSent), LastSeen: p.at(n.LastSeen), Count: n.Count}
	}
	if h := it.SecurityHub; h != nil {
		r.SecurityHub = &HubMark{Fingerprint: h.Fingerprint, ImportedAt: p.at(h.ImportedAt)}
	}
	if l := it.LookFailed; l != nil {
		r.LookFailed = &LookFailures{Count: l.Count, Since: p.at(l.Since), Codes: cloneStrings(l.Codes)}
	}
	if p.err != nil {
		return Resource{}, fmt.Errorf("resource state %s: %w", k, p.err)
	}
	return r, nil
}

func toHistoryItem(k Key, e HistoryEntry, keepFor time.Duration) historyItem {
	it := historyItem{
		PK: k.pk(), SK: historySK(e.At), At: fmtTime(e.At), Name: e.Name, Trigger: e.Trigger, Cause: e.Cause,
		State: e.State, Outcome: e.Outcome, Reason: e.Reason, Steps: cloneStrings(e.Steps), Changed: cloneStrings(e.Changed),
	}
	if keepFor > 0 {
		it.TTL = epochSeconds(e.At.Add(keepFor))
	}
	return it
}

func (it historyItem) entry() (HistoryEntry, error) {
	var p times
	e := HistoryEntry{At: p.at(it.At), Name: it.Name, Trigger: it.Trigger, Cause: it.Cause, State: it.State,
		Outcome: it.Outcome, Reason: it.Reason, Steps: cloneStrings(it.Steps), Changed: cloneStrings(it.Changed)}
	return e, p.err
}

func (it nameItem) link() (NameLink, error) {
	var p times
	l := NameLink{ResourceID: it.SK, FirstSeen: p.at(it.FirstSeen), LastSeen: p.at(it.LastSeen)}
	return l, p.err
}

// toRunItem makes the run row; its Expected list goes to the shards
// (shardExpected) that set and shards name.
func toRunItem(r Run, set string, shards int) runItem {
	it := runItem{PK: runPK(r.SweepID), SK: skRun, Mode: r.Mode, StartedAt: fmtTime(r.StartedAt),
		Deadline: fmtTime(r.Deadline), Total: r.Total, Done: r.Done, DigestSentAt: fmtTime(r.DigestSentAt),
		DigestClaimedAt: fmtTime(r.DigestClaimedAt), TTL: runTTLOf(r)}
	if shards > 0 {
		it.ExpectedSet, it.ExpectedShards = set, shards
	}
	return it
}

func runTTLOf(r Run) int64 { return epochSeconds(r.StartedAt.Add(runTTL)) }

// run reads the row alone: the Expected list of a run with shards is
// filled in by sweepRows.runWith.
func (it runItem) run(sweepID string) (Run, error) {
	var p times
	r := Run{SweepID: sweepID, Mode: it.Mode, StartedAt: p.at(it.StartedAt), Deadline: p.at(it.Deadline),
		Total: it.Total, Done: it.Done, DigestSentAt: p.at(it.DigestSentAt), DigestClaimedAt: p.at(it.DigestClaimedAt),
		Expected: cloneStrings(it.Expected)}
	if p.err != nil {
		return Run{}, fmt.Errorf("sweep run %s: %w", sweepID, p.err)
	}
	return r, nil
}

// toRecordItem keeps the item as long as its run (same ttl).
func toRecordItem(sweepID string, it ItemRecord, ttl int64) recordItem {
	return recordItem{PK: runPK(sweepID), SK: itemSK(it.Account, it.Region), Account: it.Account, Region: it.Region,
		RecordedAt: fmtTime(it.RecordedAt), Report: string(it.Report), TTL: ttl}
}

func (it recordItem) record() (ItemRecord, error) {
	var p times
	r := ItemRecord{Account: it.Account, Region: it.Region, RecordedAt: p.at(it.RecordedAt)}
	if it.Report != "" {
		r.Report = []byte(it.Report)
	}
	return r, p.err
}

type leaseItem struct {
	PK       string `dynamodbav:"pk"`
	SK       string `dynamodbav:"sk"`
	Owner    string `dynamodbav:"owner"`
	Token    string `dynamodbav:"token"`
	RVN      string `dynamodbav:"rvn"`      // the record version number, new at every renewal
	PeriodMS int64  `dynamodbav:"periodMs"` // how long a waiter watches RVN before taking over
	// TTL only cleans up after a crash: a lease is never judged by it, nor
	// by any stored time.
	TTL int64 `dynamodbav:"ttl"`
}

func toLeaseItem(l Lease) leaseItem {
	return leaseItem{PK: l.Key.pk(), SK: skLease, Owner: l.Owner, Token: l.Token, RVN: l.Version,
		PeriodMS: l.Period.Milliseconds(), TTL: epochSeconds(time.Now().Add(leaseTTLSlack))}
}

func (it leaseItem) lease(k Key) Lease {
	return Lease{Key: k, Owner: it.Owner, Token: it.Token, Version: it.RVN, Period: time.Duration(it.PeriodMS) * time.Millisecond}
}
