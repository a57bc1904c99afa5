package sim

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/dispatch"
	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/notify"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/policy"
	"github.com/forcessl/forcessl/pkg/setup"
	"github.com/forcessl/forcessl/pkg/state"
)

// Violation is an invariant that did not hold.
type Violation struct {
	Kind, What string
	// Cause is the simulator's diagnosis, when it recognises the pattern
	// (issue 16's defects by number).
	Cause string
	At    time.Time
	Step  int // index in the trace
}

func (v Violation) String() string {
	cause := ""
	if v.Cause != "" {
		cause = " [" + v.Cause + "]"
	}
	return fmt.Sprintf("%s: %s (at %s, trace line %d)%s", v.Kind, v.What, v.At.UTC().Format("01-02T15:04:05"), v.Step, cause)
}

// because diagnoses the last violation.
func (w *world) because(cause string) { w.violations[len(w.violations)-1].Cause = cause }

// truth is what the simulator knows about an instance and the engine
// cannot: whose change waits for a reboot, what is in effect.
type truth struct {
	rid     string
	cluster string // a member's cluster (its resource ID); "" for an instance
	// isCluster: this truth is a DB cluster's (its members hold the
	// pending changes).
	isCluster bool
	names     []string // every identifier it has carried
	// fsPending is forcessl's change waiting for a reboot (its number, 0:
	// none); ownerPending: the owner's change waits too.
	fsPending    int
	ownerPending bool
	effective    string // rds.force_ssl in effect (as of the last restart)
	exempt       bool
	exemptSince  time.Time
	deleted      bool
	changes      []time.Time // forcessl's changes and reboots, for the messages check
	fsReboots    int
	ownerActs    []time.Time // when the owner acted on it (news again)
	// handApplied: the owner restarted it while forcessl's change was
	// pending (forcessl's change took effect by the owner's hand).
	handApplied bool
}

// world is one seed's AWS, table, SNS and ground truth.
type world struct {
	s          *sched
	aws        *fakeaws.AWS
	mem        *state.Memory
	cfg        config.Config
	truth      map[string]*truth // by resource ID
	sent       []*sent
	digests    []notify.Message
	digestsAt  []time.Time
	violations []Violation
	changeSeq  int
	// deliveryFaults: events may be dropped, duplicated, delayed.
	deliveryFaults bool
	armed          map[string]bool // schedules the simulated Scheduler has armed
	leases         map[string]holding
}

func (w *world) violate(kind, format string, args ...any) {
	v := Violation{Kind: kind, What: fmt.Sprintf(format, args...), At: w.s.now, Step: len(w.s.trace)}
	w.s.logf("VIOLATION %s", v)
	w.violations = append(w.violations, v)
}

func (w *world) reportMode() bool { return w.cfg.Mode != policy.ModeEnforce }

// environment wires an engine as the Lambda does (setup.Wire) over the
// gated fakes, for one process: its clock, its sleeps and its lease owner.
func (w *world) environment(p *proc) *dispatch.Dispatcher {
	d := setup.Wire(w.cfg, slog.New(&traceHandler{w: w, p: p}), setup.Parts{
		Clients: clients{w}, Notifier: &notifier{w}, Digests: &notifier{w}, Store: &store{w: w, m: w.mem},
		HomeRegion: func() string { return w.aws.Region }, Now: func() time.Time { return w.s.now.Add(p.skew) }})
	d.FanOut.Reconciler.Sleep = func(d time.Duration) { w.s.sleep(p, d) }
	d.FanOut.Reconciler.Owner = fmt.Sprintf("sim-p%d", p.id)
	return d
}

// invoke runs a payload in a new Lambda environment, asynchronously as
// EventBridge and Scheduler invoke: an error (or a crash) is retried after
// 1 and 2 minutes, then dead-lettered.
func (w *world) invoke(name string, payload []byte, attempt int, skew time.Duration) {
	p := &proc{name: fmt.Sprintf("%s (attempt %d)", name, attempt), skew: skew}
	p.onDone = func(p *proc, err error) {
		w.checkBlocked(p)
		if err == nil || skew != 0 {
			return
		}
		if attempt == 3 {
			w.s.logf("world: %s dead-lettered after 3 attempts", name)
			return
		}
		if w.deliveryFaults && w.s.chance(0.05) {
			w.s.logf("world: Lambda drops the retry of %s", name)
			return
		}
		w.s.at(w.s.now.Add(time.Duration(attempt)*time.Minute), "Lambda retries "+name, func() { w.invoke(name, payload, attempt+1, 0) })
	}
	w.s.spawn(p, func(ctx context.Context) error {
		d := w.environment(p)
		_, err := d.Invoke(ctx, payload, fakeaws.FunctionARN)
		return err
	})
}

// checkBlocked: a run that crashed holding a lease blocks its resource for
// one lease period only (issue 16); a run that ends without the lease of a
// resource whose holder crashed more than 5 minutes before was blocked.
func (w *world) checkBlocked(p *proc) {
	for _, rid := range slices.Sorted(maps.Keys(p.blocked)) {
		if !p.got[rid] && !p.dead {
			w.violate("lease-blocked", "p%d ended without the lease of %s, held by p%d, which crashed (last renewed at %s)", p.id, rid,
				p.blocked[rid].id, w.leases[rid].at.UTC().Format("01-02T15:04:05"))
			w.because("a sweep waits a few seconds for a held lease, less than one lease period, so it never takes over a crashed " +
				"holder's lease: the resource waits for an event or the lease row's TTL (24-48 h)")
		}
	}
}

// deliver sends an RDS event (or CloudTrail call) as EventBridge does: best
// effort, at least once, in no particular order.
func (w *world) deliver(name string, payload func() []byte, at time.Time) {
	delay := time.Duration(w.s.rng.IntN(60)) * time.Second
	if w.deliveryFaults {
		switch r := w.s.rng.Float64(); {
		case r < 0.12:
			w.s.logf("world: %s dropped (RDS events are best effort)", name)
			return
		case r < 0.24:
			// Duplicated: at once (two environments on one event) or later.
			d2 := time.Duration(0)
			if w.s.chance(0.5) {
				d2 = time.Duration(w.s.rng.IntN(300)) * time.Second
			}
			w.s.at(at.Add(delay+d2), "deliver duplicate "+name, func() { w.invoke(name+" (dup)", payload(), 1, 0) })
		case r < 0.28:
			// Queued while Lambda throttled: up to 6 hours.
			delay = time.Duration(w.s.rng.IntN(6*3600)) * time.Second
		}
	}
	w.s.at(at.Add(delay), "deliver "+name, func() { w.invoke(name, payload(), 1, 0) })
}

// instanceEvent is an RDS DB instance event with its time.
func (w *world) instanceEvent(eventID, id string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"ev-%d","detail-type":"RDS DB Instance Event","source":"aws.rds","account":%q,
		"time":%q,"region":%q,"detail":{"SourceArn":"arn:aws:rds:%s:%s:db:%s","EventID":%q}}`, w.s.seq, w.aws.Account,
		at.UTC().Format(time.RFC3339), w.aws.Region, w.aws.Region, w.aws.Account, id, eventID)
}

func (w *world) groupEvent(group string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"ev-%d","detail-type":"RDS DB Parameter Group Event","source":"aws.rds","account":%q,
		"time":%q,"region":%q,"detail":{"SourceArn":"arn:aws:rds:%s:%s:pg:%s","EventID":"RDS-EVENT-0037"}}`, w.s.seq, w.aws.Account,
		at.UTC().Format(time.RFC3339), w.aws.Region, w.aws.Region, w.aws.Account, group)
}

func (w *world) sweepEvent(at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"sweep-%s","detail-type":"Scheduled Event","source":"aws.events","account":%q,
		"time":%q,"region":%q,"resources":["arn:aws:events:%s:%s:rule/forcessl-sweep"],"detail":{}}`, at.UTC().Format("0102T1504"),
		w.aws.Account, at.UTC().Format(time.RFC3339), w.aws.Region, w.aws.Region, w.aws.Account)
}

// emit is RDS sending an instance event about the instance now carrying
// resource ID rid.
func (w *world) emit(eventID, rid string) {
	t := w.truth[rid]
	if t == nil || t.deleted {
		return
	}
	id, at := t.names[len(t.names)-1], w.s.now
	w.deliver(eventID+" "+id, func() []byte { return w.instanceEvent(eventID, id, at) }, at)
}

// instance returns the fake's instance carrying rid, and its identifier.
func (w *world) instance(rid string) (string, *fakeaws.Instance) {
	for id, i := range w.aws.Instances {
		if i.ResourceID == rid {
			return id, i
		}
	}
	return "", nil
}

func (w *world) groupValue(group string) string {
	if g, ok := w.aws.Groups[group]; ok {
		return g.Params["rds.force_ssl"].Value
	}
	return ""
}

// instanceView is an instance's truth as a call saw it.
type instanceView struct {
	rid    string
	t      truth
	window string
}

func (w *world) view(id string) instanceView {
	i, ok := w.aws.Instances[id]
	if !ok {
		return instanceView{}
	}
	v := instanceView{rid: i.ResourceID, window: i.Window}
	if t := w.truth[i.ResourceID]; t != nil {
		v.t = *t
	}
	if c := w.aws.Clusters[i.Cluster]; c != nil {
		// A member restarts in its cluster's window, and is exempt with it.
		v.window = c.Window
		if ct := w.truth[c.ResourceID]; ct != nil && ct.exempt && (!v.t.exempt || ct.exemptSince.Before(v.t.exemptSince)) {
			v.t.exempt, v.t.exemptSince = true, ct.exemptSince
		}
	}
	return v
}

// checkOwnsGroup: forcessl changes only the groups it made.
func (w *world) checkOwnsGroup(name string, cluster bool) {
	groups := w.aws.Groups
	if cluster {
		groups = w.aws.ClusterGroups
	}
	if g, ok := groups[name]; ok && g.Tags[paramgroup.TagManagedBy] != paramgroup.ManagedByValue {
		w.violate("foreign-group", "forcessl modified the parameter group %s, which it does not own", name)
	}
}

// attached: a process's ModifyDBInstance took effect.
func (w *world) attached(id, group string) {
	i, ok := w.aws.Instances[id]
	if !ok || group == "" {
		return
	}
	t := w.truth[i.ResourceID]
	w.changeSeq++
	t.fsPending = w.changeSeq
	t.changes = append(t.changes, w.s.now)
	w.s.logf("  truth %s: forcessl change #%d pending (attached %s)", id, w.changeSeq, group)
	rid := i.ResourceID
	w.s.at(w.s.now.Add(time.Duration(w.s.rng.IntN(60))*time.Second), "RDS: group attached to "+id, func() { w.emit("RDS-EVENT-0011", rid) })
}

// groupChanged: a group's static parameters were changed, by forcessl or
// by the owner; every instance on it waits for a reboot.
func (w *world) groupChanged(name string, params []rdstypes.Parameter, byForcessl bool) {
	static := false
	for _, p := range params {
		static = static || p.ApplyMethod == rdstypes.ApplyMethodPendingReboot
	}
	if static {
		for _, id := range slices.Sorted(maps.Keys(w.aws.Instances)) {
			i := w.aws.Instances[id]
			t := w.truth[i.ResourceID]
			if i.Group != name || t == nil {
				continue
			}
			if byForcessl {
				w.changeSeq++
				t.fsPending = w.changeSeq
				t.changes = append(t.changes, w.s.now)
				w.s.logf("  truth %s: forcessl change #%d pending (group %s)", id, w.changeSeq, name)
			} else {
				// The owner's change waits on every user of the group: news
				// for each, not only for the instance the owner acted on.
				t.ownerPending = true
				t.ownerActs = append(t.ownerActs, w.s.now)
				w.s.logf("  truth %s: the owner's change pending (group %s)", id, name)
			}
		}
	}
	at := w.s.now
	w.deliver("RDS-EVENT-0037 "+name, func() []byte { return w.groupEvent(name, at) }, at)
}

// rebooted: a process's RebootDBInstance took effect. Checks the safety
// invariants of a reboot against what was true just before it.
func (w *world) rebooted(p *proc, id string, before instanceView) {
	t := w.truth[before.rid]
	if t == nil {
		return
	}
	if p != nil && p.lastRead[t.rid].IsZero() && t.cluster != "" {
		// A member is read through its cluster.
		p.lastRead[t.rid] = p.lastRead[t.cluster]
	}
	if p != nil {
		if read := p.lastRead[t.rid]; before.t.exempt && !read.IsZero() && !before.t.exemptSince.After(read) {
			w.violate("exempt", "p%d rebooted %s, tagged exempt since %s (it read it at %s)", p.id, id,
				before.t.exemptSince.UTC().Format("01-02T15:04:05"), read.UTC().Format("01-02T15:04:05"))
			if t.cluster != "" && !w.truth[t.cluster].exempt {
				w.because("a member tagged exempt restarted by its cluster's reboot")
			}
		}
		if w.cfg.Reboot == policy.RebootWindow || w.cfg.Reboot == "" {
			if win, err := maintwindow.Parse(before.window); err == nil {
				if _, in := win.Occurrence(w.s.now); !in {
					w.violate("window", "p%d rebooted %s outside its maintenance window %s", p.id, id, before.window)
					if !p.lastRead[t.rid].IsZero() {
						w.because("decided in the window, the reboot landed after it")
					}
				}
			}
		}
		switch {
		case before.t.fsPending == 0 && before.t.ownerPending:
			w.violate("owner-reboot", "p%d rebooted %s when only the owner's change was pending", p.id, id)
			if t.cluster != "" && t.handApplied {
				w.because("a member restarted by hand after forcessl's change, then the owner's own change: forcessl's member restarts took it for forcessl's")
			} else {
				w.because("issue 16 #3: an intent still open after forcessl's change took effect")
			}
		case before.t.fsPending == 0:
			w.violate("double-reboot", "p%d rebooted %s with no forcessl change pending (a second reboot for one change)", p.id, id)
		}
		t.fsReboots++
		told := t
		if t.cluster != "" {
			told = w.truth[t.cluster]
		}
		told.changes = append(told.changes, w.s.now)
	}
	if p == nil && t.fsPending != 0 {
		t.handApplied = true
	}
	t.fsPending, t.ownerPending = 0, false
	if t.cluster == "" {
		t.effective = w.groupValue(w.aws.Instances[id].Group)
	}
	w.s.logf("  truth %s: restarted (by %s), rds.force_ssl=%s in effect", id, who(p), t.effective)
	w.aws.Instances[id].Status = "rebooting"
	rid := t.rid
	w.s.at(w.s.now.Add(time.Duration(60+w.s.rng.IntN(120))*time.Second), "RDS: "+id+" restarted", func() {
		if _, i := w.instance(rid); i != nil && i.Status == "rebooting" {
			i.Status = "available"
			w.emit("RDS-EVENT-0006", rid)
		}
	})
}

// clusterOf returns the fake's cluster carrying rid, and its identifier.
func (w *world) clusterOf(rid string) (string, *fakeaws.Cluster) {
	for id, c := range w.aws.Clusters {
		if c.ResourceID == rid {
			return id, c
		}
	}
	return "", nil
}

// members returns the truths of a cluster's members.
func (w *world) members(cluster string) []*truth {
	var out []*truth
	for _, id := range slices.Sorted(maps.Keys(w.aws.Instances)) {
		if i := w.aws.Instances[id]; i.Cluster == cluster {
			if t := w.truth[i.ResourceID]; t != nil {
				out = append(out, t)
			}
		}
	}
	return out
}

// clusterPending marks every member of the cluster as waiting for a
// reboot: forcessl's change, or the owner's.
func (w *world) clusterPending(id string, byForcessl bool, why string) {
	c := w.aws.Clusters[id]
	if c == nil {
		return
	}
	ct := w.truth[c.ResourceID]
	if byForcessl {
		w.changeSeq++
		ct.changes = append(ct.changes, w.s.now)
	}
	for _, m := range w.members(id) {
		if byForcessl {
			m.fsPending = w.changeSeq
		} else {
			m.ownerPending = true
		}
	}
	w.s.logf("  truth %s: %s pending on every member (%s)", id, map[bool]string{true: fmt.Sprintf("forcessl change #%d", w.changeSeq), false: "the owner's change"}[byForcessl], why)
}

// clusterAttached: a process's ModifyDBCluster took effect.
func (w *world) clusterAttached(id, group string) {
	if group == "" || w.aws.Clusters[id] == nil {
		return
	}
	w.clusterPending(id, true, "attached "+group)
}

// clusterGroupChanged: a cluster group's parameters changed; a static
// one waits for each member's reboot. RDS sends no event for it: the
// CloudTrail call is the signal.
func (w *world) clusterGroupChanged(name string, params []rdstypes.Parameter, byForcessl bool) {
	for _, p := range params {
		if p.ApplyMethod != rdstypes.ApplyMethodPendingReboot {
			continue
		}
		for _, id := range slices.Sorted(maps.Keys(w.aws.Clusters)) {
			if w.aws.Clusters[id].Group == name {
				w.clusterPending(id, byForcessl, "group "+name)
			}
		}
		break
	}
	at := w.s.now
	w.deliver("CloudTrail ModifyDBClusterParameterGroup "+name, func() []byte {
		return w.apiCall("ModifyDBClusterParameterGroup",
			fmt.Sprintf(`{"dBClusterParameterGroupName":%q}`, name), at)
	}, at)
}

// apiCall is a CloudTrail record as EventBridge delivers it.
func (w *world) apiCall(name, params string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"ct-%d","detail-type":"AWS API Call via CloudTrail","source":"aws.rds","account":%q,
		"time":%q,"region":%q,"resources":[],"detail":{"eventSource":"rds.amazonaws.com","eventName":%q,"awsRegion":%q,
		"recipientAccountId":%q,"requestParameters":%s}}`, w.s.seq, w.aws.Account, at.UTC().Format(time.RFC3339), w.aws.Region,
		name, w.aws.Region, w.aws.Account, params)
}

func (w *world) clusterEvent(eventID, id string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"version":"0","id":"ev-%d","detail-type":"RDS DB Cluster Event","source":"aws.rds","account":%q,
		"time":%q,"region":%q,"detail":{"SourceArn":"arn:aws:rds:%s:%s:cluster:%s","EventID":%q}}`, w.s.seq, w.aws.Account,
		at.UTC().Format(time.RFC3339), w.aws.Region, w.aws.Region, w.aws.Account, id, eventID)
}

// clusterRebooted: a process's RebootDBCluster (Multi-AZ DB cluster) took
// effect: every member restarted.
func (w *world) clusterRebooted(p *proc, id string, before map[string]instanceView) {
	// One reboot of the cluster: it is forcessl's to make if any member
	// waits for forcessl's change (a member already in sync restarts with
	// the others: RebootDBCluster has no finer grain).
	fs, owner := false, false
	for _, v := range before {
		fs = fs || v.t.fsPending != 0
		owner = owner || v.t.ownerPending
	}
	for _, mid := range slices.Sorted(maps.Keys(before)) {
		v := before[mid]
		if fs && v.t.fsPending == 0 {
			v.t.fsPending = -1 // restarted with the others: not a second reboot
		}
		if !fs && owner && !v.t.ownerPending {
			v.t.ownerPending = true // the cluster's verdict: for the owner's change only
		}
		w.rebooted(p, mid, v)
	}
	// The cluster is rebooting until its members are back.
	if c := w.aws.Clusters[id]; c != nil {
		c.Status = "rebooting"
		w.s.at(w.s.now.Add(3*time.Minute), "RDS: cluster "+id+" available", func() {
			if c.Status == "rebooting" {
				c.Status = "available"
			}
		})
	}
}

// clusterViews are the members' views before a cluster reboot.
func (w *world) clusterViews(id string) map[string]instanceView {
	out := map[string]instanceView{}
	for mid, i := range w.aws.Instances {
		if i.Cluster == id {
			out[mid] = w.view(mid)
		}
	}
	return out
}

func who(p *proc) string {
	if p == nil {
		return "the owner"
	}
	return fmt.Sprintf("p%d", p.id)
}

// scheduleCreated arms the simulated Scheduler for a new schedule: it
// fires at its time, at least once (sometimes twice), sometimes late
// (within forcessl's retry policy: up to an hour), and deletes itself.
func (w *world) scheduleCreated(in *scheduler.CreateScheduleInput) {
	name, expr := aws.ToString(in.Name), aws.ToString(in.ScheduleExpression)
	at, err := time.Parse("at(2006-01-02T15:04:05)", expr)
	if err != nil {
		w.violate("schedule", "schedule %s has an expression the simulator cannot read: %s", name, expr)
		return
	}
	if w.armed[name+expr] {
		return
	}
	w.armed[name+expr] = true
	late := time.Duration(0)
	if w.deliveryFaults && w.s.chance(0.1) {
		late = time.Duration(w.s.rng.IntN(3600)) * time.Second
	}
	w.s.at(at.Add(late), "Scheduler fires "+name, func() {
		s, ok := w.aws.Take(name)
		if !ok || aws.ToString(s.ScheduleExpression) != expr {
			w.s.logf("world: schedule %s is gone: nothing fires", name)
			return
		}
		payload := []byte(aws.ToString(s.Target.Input))
		w.invoke("scheduled "+name, payload, 1, 0)
		if w.deliveryFaults && w.s.chance(0.1) {
			w.s.at(w.s.now.Add(time.Duration(w.s.rng.IntN(120))*time.Second), "Scheduler fires "+name+" again (at least once)",
				func() { w.invoke("scheduled "+name+" (again)", payload, 1, 0) })
		}
	})
}

// traceHandler puts the engine's decisions (its log lines) in the trace.
type traceHandler struct {
	w     *world
	p     *proc
	attrs []slog.Attr
}

func (h *traceHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h *traceHandler) Handle(_ context.Context, r slog.Record) error {
	if h.p.dead {
		return nil
	}
	var b strings.Builder
	keep := func(a slog.Attr) bool {
		switch a.Key {
		case "instance", "member", "outcome", "state", "reason", "error", "action":
			fmt.Fprintf(&b, " %s=%q", a.Key, firstLine(a.Value.String()))
		}
		return true
	}
	for _, a := range h.attrs {
		keep(a)
	}
	r.Attrs(keep)
	if r.Message == "reconcile failed, will be retried" || r.Message == "state not recorded" {
		for _, a := range h.attrs {
			if a.Key == "instance" {
				h.w.s.mu.Lock()
				if h.p.failed == nil {
					h.p.failed = map[string]time.Time{}
				}
				h.p.failed[a.Value.String()] = h.w.s.now
				h.w.s.mu.Unlock()
			}
		}
	}
	line := fmt.Sprintf("%s p%d log: %s%s", h.w.s.now.UTC().Format("01-02T15:04:05.000"), h.p.id, r.Message, b.String())
	h.w.s.mu.Lock()
	h.p.logs = append(h.p.logs, line)
	h.w.s.mu.Unlock()
	return nil
}
func (h *traceHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &traceHandler{w: h.w, p: h.p, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h *traceHandler) WithGroup(string) slog.Handler { return h }

// Owners acting, directly on the fake (not through a process).

func (w *world) ownerStatic(rid string) {
	id, i := w.instance(rid)
	if i == nil || !paramgroup.IsOurs(i.Group) {
		w.s.logf("  owner: no forcessl group on %s to change", id)
		return
	}
	params := []rdstypes.Parameter{{ParameterName: aws.String("rds.tls10"), ParameterValue: aws.String("disabled"),
		ApplyMethod: rdstypes.ApplyMethodPendingReboot}}
	if _, err := w.aws.ModifyDBParameterGroup(context.Background(), &rds.ModifyDBParameterGroupInput{
		DBParameterGroupName: aws.String(i.Group), Parameters: params}); err != nil {
		w.s.logf("  owner: %v", err)
		return
	}
	w.groupChanged(i.Group, params, false)
}

func (w *world) ownerReboot(rid string) {
	id, i := w.instance(rid)
	if i == nil || i.Status != "available" {
		return
	}
	before := w.view(id)
	if _, err := w.aws.RebootDBInstance(context.Background(), &rds.RebootDBInstanceInput{DBInstanceIdentifier: aws.String(id)}); err != nil {
		w.s.logf("  owner: %v", err)
		return
	}
	w.rebooted(nil, id, before)
}

func (w *world) ownerExempt(rid string, on bool) {
	_, i := w.instance(rid)
	if i == nil {
		return
	}
	t := w.truth[rid]
	if on {
		i.Tags[w.cfg.ExemptTag] = "true"
		if !t.exempt {
			t.exempt, t.exemptSince = true, w.s.now
		}
	} else {
		delete(i.Tags, w.cfg.ExemptTag)
		t.exempt = false
	}
}

func (w *world) ownerRename(rid string) {
	id, i := w.instance(rid)
	if i == nil {
		return
	}
	t := w.truth[rid]
	n := fmt.Sprintf("%s-r%d", strings.SplitN(id, "-r", 2)[0], len(t.names))
	w.aws.Rename(id, n)
	t.names = append(t.names, n)
}

func (w *world) ownerDelete(rid string) {
	id, i := w.instance(rid)
	if i == nil {
		return
	}
	delete(w.aws.Instances, id)
	w.truth[rid].deleted = true
}

// ownerBusy: the owner modifies the instance (its class, storage): busy for
// a while, sometimes with a change queued for the window instead.
func (w *world) ownerBusy(rid string) {
	_, i := w.instance(rid)
	if i == nil || i.Status != "available" {
		return
	}
	if w.s.chance(0.5) {
		i.PendingMods = true
		return
	}
	i.Status = []string{"modifying", "backing-up", "storage-optimization", "configuring-enhanced-monitoring"}[w.s.rng.IntN(4)]
	w.s.at(w.s.now.Add(time.Duration(5+w.s.rng.IntN(40))*time.Minute), "RDS: modification done", func() {
		if _, i := w.instance(rid); i != nil && i.Status != "rebooting" {
			i.Status = "available"
			w.emit("RDS-EVENT-0014", rid)
		}
	})
}
