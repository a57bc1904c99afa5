package sim

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/forcessl/forcessl/internal/fakeaws"
	"github.com/forcessl/forcessl/pkg/config"
	"github.com/forcessl/forcessl/pkg/maintwindow"
	"github.com/forcessl/forcessl/pkg/paramgroup"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/state"
)

// Scenarios are the families of histories a seed explores. The CI run
// covers every fault point of each.
var Scenarios = []string{"basic", "shared", "owner", "report", "aurora-postgresql", "aurora-mysql", "multi-az"}

// Start is when every seed's history begins: a Friday.
var Start = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

const (
	active = 3 * 24 * time.Hour // faults, owners acting
	quiet  = 8 * 24 * time.Hour // then no faults: every window passes once more
	sweeps = 24 * time.Hour     // the daily sweep
)

// Result is one seed's outcome.
type Result struct {
	Seed       uint64
	Scenario   string
	Boost      []string // fault points aimed at ("op/fault")
	Violations []Violation
	Trace      []string
	Coverage   map[string]int  // fault points hit: op/fault
	Ops        map[string]bool // every op called (true: a write)
	Procs      int
}

// Failed reports whether an invariant broke.
func (r Result) Failed() bool { return len(r.Violations) > 0 }

// ScenarioOf is the scenario a seed explores unless one is named.
func ScenarioOf(seed uint64) string { return Scenarios[seed%uint64(len(Scenarios))] }

// Run simulates one seed. It must be called inside a synctest bubble
// (synctest.Test): every goroutine of the engine is scheduled by it.
func Run(seed uint64, scenario string, boost ...string) Result {
	if scenario == "" {
		scenario = ScenarioOf(seed)
	}
	s := newSched(seed, Start)
	s.boost = map[string][]Fault{}
	for _, point := range boost {
		op, name, _ := strings.Cut(point, "/")
		if f := slices.Index(faultNames[:], name); f > 0 {
			s.boost[op] = append(s.boost[op], Fault(f))
		}
	}
	vars := map[string]string{config.EnvSchedulerRoleARN: fakeaws.RoleARN, config.EnvNoticeLead: "0",
		config.EnvMode: "enforce", config.EnvStateTable: "forcessl-state", config.EnvTopicARN: "arn:aws:sns:us-east-1:123456789012:forcessl",
		// One reconcile at a time inside a process: the simulator
		// schedules goroutines anyway, this keeps the histories small.
		config.EnvSweepParallelism: "1", config.EnvSweepItemPar: "1"}
	if scenario == "report" {
		vars[config.EnvMode] = "report"
	}
	cfg, err := config.FromMap(vars)
	if err != nil {
		panic(err)
	}
	w := &world{s: s, aws: fakeaws.New(), mem: state.NewMemory(), cfg: cfg, truth: map[string]*truth{}, armed: map[string]bool{},
		deliveryFaults: true, leases: map[string]holding{}}
	// RDS's event log (DescribeEvents) keeps every restart, by the owner
	// or by forcessl, at the simulated time.
	w.aws.Clock = func() time.Time { return s.now }
	s.faults = []float64{0.02, 0.05, 0.1, 0.2}[s.rng.IntN(4)]
	s.logf("seed %d scenario %s fault rate %.2f", seed, scenario, s.faults)
	w.setup(scenario)

	end := Start.Add(active)
	s.run(end)
	s.faults, w.deliveryFaults = 0, false
	s.logf("faults stop")
	s.run(end.Add(quiet))
	s.stop()
	w.final()
	return Result{Seed: seed, Scenario: scenario, Boost: boost, Violations: w.violations, Trace: s.trace, Coverage: s.coverage, Ops: s.ops, Procs: len(s.procs)}
}

// setup builds the scenario's world and its timeline: instances and their
// creation events, daily sweeps, owners acting, RDS's maintenance.
func (w *world) setup(scenario string) {
	s := w.s
	if strings.HasPrefix(scenario, "aurora") || scenario == "multi-az" {
		w.setupCluster(scenario)
		return
	}
	n := 1 + s.rng.IntN(2)
	group := fakeaws.DefaultGroup
	if scenario == "shared" {
		n = 2 + s.rng.IntN(2)
		group = "app-params"
		w.aws.Groups[group] = &fakeaws.Group{Family: "sqlserver-se-15.0", Params: fakeaws.FamilyDefaults(), Tags: map[string]string{}}
		w.aws.Groups[group].Params["max degree of parallelism"] = fakeaws.Param{Value: "4", ApplyType: "dynamic", Source: "user"}
	}
	var rids []string
	for k := range n {
		id := fmt.Sprintf("db%d", k+1)
		win := fmt.Sprintf("%s:%02d:%02d-%s", []string{"fri", "sat", "sun"}[s.rng.IntN(3)], s.rng.IntN(24), 30*s.rng.IntN(2), "")
		win = windowOf(win, []time.Duration{30 * time.Minute, time.Hour, 3 * time.Hour}[s.rng.IntN(3)])
		rid := fakeaws.ResourceID(id)
		w.aws.Instances[id] = &fakeaws.Instance{ResourceID: rid, Engine: "sqlserver-se", Status: "available", Group: group,
			ApplyStatus: plan.InSync, Window: win, Tags: map[string]string{}, CA: "rds-ca-rsa2048-g1", CertValidTill: fakeaws.DefaultCertValidTill}
		w.truth[rid] = &truth{rid: rid, names: []string{id}, effective: "0"}
		rids = append(rids, rid)
		s.logf("instance %s window %s group %s", id, win, group)
		created := Start.Add(time.Duration(s.rng.IntN(120)) * time.Minute)
		s.at(created, "RDS: "+id+" created", func() { w.emit("RDS-EVENT-0005", rid) })
		// RDS applies queued modifications in each window.
		mw, _ := maintwindow.Parse(win)
		for t := mw.NextStart(Start); t.Before(Start.Add(active + quiet)); t = mw.NextStart(t.Add(time.Minute)) {
			s.at(t.Add(time.Minute), "RDS: window of "+id+" opens", func() {
				if _, i := w.instance(rid); i != nil && i.PendingMods && i.Status == "available" {
					i.PendingMods, i.Status = false, "modifying"
					s.at(s.now.Add(10*time.Minute), "RDS: queued modifications of "+id+" applied", func() {
						if _, i := w.instance(rid); i != nil && i.Status == "modifying" {
							i.Status = "available"
							w.emit("RDS-EVENT-0014", rid)
						}
					})
				}
			})
		}
	}
	for t := Start.Add(2 * time.Hour); t.Before(Start.Add(active + quiet)); t = t.Add(sweeps) {
		at := t
		s.at(at, "EventBridge: daily sweep", func() { w.invoke("sweep "+at.Format("01-02"), w.sweepEvent(at), 1, 0) })
	}
	if scenario == "owner" || scenario == "report" || scenario == "shared" {
		for range 1 + s.rng.IntN(5) {
			w.ownerAction(rids[s.rng.IntN(len(rids))], Start.Add(time.Duration(s.rng.Int64N(int64(active)))))
		}
	}
	if scenario == "owner" && s.chance(0.5) {
		// A CLI run with its clock ahead.
		rid := rids[0]
		at := Start.Add(time.Duration(s.rng.Int64N(int64(active))))
		skew := time.Duration(2+s.rng.IntN(10)) * time.Minute
		s.at(at, "CLI run", func() {
			t := w.truth[rid]
			if t.deleted {
				return
			}
			id := t.names[len(t.names)-1]
			w.invoke(fmt.Sprintf("CLI reconcile %s (clock +%s)", id, skew), w.instanceEvent("RDS-EVENT-0005", id, s.now), 1, skew)
		})
	}
}

// clusterKinds: engine, version, default group and TLS parameter.
var clusterKinds = map[string]struct {
	engine, version, group, param, on string
	multiAZ                           bool
}{
	"aurora-postgresql": {"aurora-postgresql", "15.4", fakeaws.DefaultAuroraPostgresGroup, "rds.force_ssl", "1", false},
	"aurora-mysql":      {"aurora-mysql", "8.0.mysql_aurora.3.05.2", fakeaws.DefaultAuroraMySQLGroup, "require_secure_transport", "ON", false},
	"multi-az":          {"postgres", "16.4", fakeaws.DefaultMultiAZPostgresGroup, "rds.force_ssl", "1", true},
}

// setupCluster builds one cluster of a kind with two or three members,
// and its timeline.
func (w *world) setupCluster(kind string) {
	s, k := w.s, clusterKinds[kind]
	id := "shop"
	win := windowOf(fmt.Sprintf("%s:%02d:%02d-", []string{"fri", "sat", "sun"}[s.rng.IntN(3)], s.rng.IntN(24), 30*s.rng.IntN(2)),
		[]time.Duration{30 * time.Minute, time.Hour, 3 * time.Hour}[s.rng.IntN(3)])
	var members []string
	for n := range 2 + s.rng.IntN(2) {
		members = append(members, fmt.Sprintf("shop-%d", n+1))
	}
	w.aws.AddCluster(id, &fakeaws.Cluster{Engine: k.engine, EngineVersion: k.version, Mode: "provisioned", Status: "available",
		Group: k.group, Window: win, MultiAZ: k.multiAZ}, members...)
	crid := fakeaws.ClusterResourceID(id)
	w.truth[crid] = &truth{rid: crid, names: []string{id}, isCluster: true}
	rids := []string{crid}
	for _, m := range members {
		rid := fakeaws.ResourceID(m)
		w.truth[rid] = &truth{rid: rid, names: []string{m}, cluster: crid}
		rids = append(rids, rid)
	}
	s.logf("cluster %s (%s) window %s members %v", id, kind, win, members)
	created := Start.Add(time.Duration(s.rng.IntN(120)) * time.Minute)
	s.at(created, "RDS: cluster "+id+" created", func() {
		at := s.now
		w.deliver("RDS-EVENT-0170 "+id, func() []byte { return w.clusterEvent("RDS-EVENT-0170", id, at) }, at)
	})
	for t := Start.Add(2 * time.Hour); t.Before(Start.Add(active + quiet)); t = t.Add(sweeps) {
		at := t
		s.at(at, "EventBridge: daily sweep", func() { w.invoke("sweep "+at.Format("01-02"), w.sweepEvent(at), 1, 0) })
	}
	for range s.rng.IntN(5) {
		w.clusterOwnerAction(id, rids, Start.Add(time.Duration(s.rng.Int64N(int64(active)))))
	}
}

// clusterOwnerAction schedules one thing a cluster's owner does.
func (w *world) clusterOwnerAction(id string, rids []string, at time.Time) {
	kinds := []string{"static change in the forcessl cluster group", "reboot a member by hand", "exempt tag on the cluster",
		"exempt tag off the cluster", "exempt tag on a member", "modify the cluster (busy)"}
	k := w.s.rng.IntN(len(kinds))
	member := rids[1+w.s.rng.IntN(len(rids)-1)]
	w.s.at(at, "owner: "+kinds[k], func() {
		crid := rids[0]
		w.truth[crid].ownerActs = append(w.truth[crid].ownerActs, w.s.now)
		c := w.aws.Clusters[id]
		switch k {
		case 0:
			if !paramgroup.IsOurs(c.Group) {
				w.s.logf("  owner: no forcessl group on %s to change", id)
				return
			}
			// One of the TLS parameters a forcessl group may carry, made
			// stricter than the source: a change to any other parameter
			// makes the group untrusted (issue 19, plan.Vet).
			params := []rdstypes.Parameter{{ParameterName: aws.String("ssl_min_protocol_version"), ParameterValue: aws.String("TLSv1.3"),
				ApplyMethod: rdstypes.ApplyMethodPendingReboot}}
			if c.Engine == "aurora-mysql" {
				params[0].ParameterName = aws.String("tls_version")
			}
			g := w.aws.ClusterGroups[c.Group]
			p := g.Params[aws.ToString(params[0].ParameterName)]
			p.ApplyType = "static" // a static parameter of theirs
			g.Params[aws.ToString(params[0].ParameterName)] = p
			if _, err := w.aws.ModifyDBClusterParameterGroup(context.Background(), &rds.ModifyDBClusterParameterGroupInput{
				DBClusterParameterGroupName: aws.String(c.Group), Parameters: params}); err != nil {
				w.s.logf("  owner: %v", err)
				return
			}
			w.clusterGroupChanged(c.Group, params, false)
		case 1:
			w.ownerReboot(member)
		case 2, 3:
			t := w.truth[crid]
			if k == 2 {
				c.Tags[w.cfg.ExemptTag] = "true"
				if !t.exempt {
					t.exempt, t.exemptSince = true, w.s.now
				}
			} else {
				delete(c.Tags, w.cfg.ExemptTag)
				t.exempt = false
			}
		case 4:
			w.ownerExempt(member, true)
		case 5:
			if c.Status == "available" {
				c.Status = "modifying"
				w.s.at(w.s.now.Add(time.Duration(5+w.s.rng.IntN(40))*time.Minute), "RDS: cluster modification done", func() {
					c.Status = "available"
				})
			}
		}
	})
}

func windowOf(start string, length time.Duration) string {
	// start is "ddd:hh:mm-"; the end is start+length, in RDS's syntax.
	days := []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	var d, h, m int
	name := start[:3]
	d = slices.Index(days, name)
	fmt.Sscanf(start[4:], "%d:%d", &h, &m)
	endMin := (d*24*60 + h*60 + m + int(length/time.Minute)) % (7 * 24 * 60)
	return fmt.Sprintf("%s:%02d:%02d-%s:%02d:%02d", name, h, m, days[endMin/(24*60)], endMin%(24*60)/60, endMin%60)
}

// ownerAction schedules one thing an owner does.
func (w *world) ownerAction(rid string, at time.Time) {
	kinds := []string{"static change in the forcessl group", "reboot by hand", "exempt tag on", "exempt tag off", "rename",
		"delete", "modify (busy)"}
	k := w.s.rng.IntN(len(kinds))
	if k == 5 && w.s.chance(0.7) {
		k = 0 // deletion ends the story: make it rarer
	}
	w.s.at(at, "owner: "+kinds[k]+" on "+w.truth[rid].names[0], func() {
		w.truth[rid].ownerActs = append(w.truth[rid].ownerActs, w.s.now)
		switch k {
		case 0:
			w.ownerStatic(rid)
		case 1:
			w.ownerReboot(rid)
		case 2:
			w.ownerExempt(rid, true)
		case 3:
			w.ownerExempt(rid, false)
		case 4:
			w.ownerRename(rid)
		case 5:
			w.ownerDelete(rid)
		case 6:
			w.ownerBusy(rid)
		}
	})
}

// final checks what must hold once faults stopped and the world settled:
// liveness and messages.
func (w *world) final() {
	w.s.logf("final state")
	for _, rid := range slices.Sorted(maps.Keys(w.truth)) {
		t := w.truth[rid]
		if t.isCluster {
			w.finalCluster(t)
			continue
		}
		id, i := w.instance(rid)
		if t.deleted || i == nil || t.cluster != "" {
			continue
		}
		row, _, _ := w.mem.Resource(context.Background(), state.Key{Account: w.aws.Account, Region: w.aws.Region, ResourceID: rid})
		last := w.lastNotice(t)
		w.s.logf("  %s: group %s force_ssl=%s in effect %s, status %s/%s, memory %q, last notice %q", id, i.Group,
			w.groupValue(i.Group), t.effective, i.Status, i.ApplyStatus, row.State, last)
		if t.exempt || w.reportMode() {
			continue
		}
		compliant := w.groupValue(i.Group) == "1" && t.effective == "1"
		switch {
		case compliant && (row.State == string(plan.Compliant) || row.State == string(plan.CompliantPendingReboot) && t.ownerPending):
		case last == string(plan.OutcomePostponed) || last == string(plan.OutcomeRefused) || w.toldInDigest(rid):
		default:
			w.violate("liveness", "%s ends non-compliant or unverified after the faults stopped: group %s rds.force_ssl=%s, "+
				"in effect %s, memory %q, intent %v, last notice %q", id, i.Group, w.groupValue(i.Group), t.effective, row.State,
				row.Intent != nil, last)
			if row.Intent == nil && t.fsPending != 0 {
				w.because("issue 16 #1/#2: forcessl's change waits for a reboot with no intent recorded")
			}
		}
	}
	w.checkMessages()
}

// finalCluster: a cluster ends with TLS on in its group and in effect on
// every member (no change of forcessl's still waiting), verified, or told
// postponed or refused.
func (w *world) finalCluster(t *truth) {
	id, c := w.clusterOf(t.rid)
	if c == nil {
		return
	}
	k := clusterKinds["aurora-postgresql"]
	for _, kk := range clusterKinds {
		if kk.engine == c.Engine {
			k = kk
		}
	}
	row, _, _ := w.mem.Resource(context.Background(), state.Key{Account: w.aws.Account, Region: w.aws.Region, ResourceID: t.rid})
	last := w.lastNotice(t)
	value := ""
	if g := w.aws.ClusterGroups[c.Group]; g != nil {
		value = g.Params[k.param].Value
	}
	waiting, owner, exempt := 0, false, t.exempt
	for _, m := range w.members(id) {
		if m.fsPending != 0 {
			waiting++
		}
		owner = owner || m.ownerPending
		exempt = exempt || m.exempt
	}
	w.s.logf("  %s: group %s %s=%s, members waiting for forcessl's change %d, memory %q, last notice %q", id, c.Group, k.param,
		value, waiting, row.State, last)
	if exempt || w.reportMode() {
		return
	}
	compliant := strings.EqualFold(value, k.on) && waiting == 0
	switch {
	case compliant && (row.State == string(plan.Compliant) || row.State == string(plan.CompliantPendingReboot) && owner):
	case last == string(plan.OutcomePostponed) || last == string(plan.OutcomeRefused) || w.toldInDigest(t.rid):
	default:
		w.violate("liveness", "cluster %s ends non-compliant or unverified after the faults stopped: group %s %s=%s, %d member(s) "+
			"still waiting for forcessl's change, memory %q, intent %v, last notice %q", id, c.Group, k.param, value, waiting, row.State,
			row.Intent != nil, last)
		if row.Intent == nil && waiting > 0 {
			w.because("issue 16 #1/#2: forcessl's change waits for a reboot with no intent recorded")
		}
	}
}

// toldInDigest: the resource's last decision was postponed or refused, by
// a sweep, and a digest (which carries a sweep's findings) went out after.
func (w *world) toldInDigest(rid string) bool {
	h, _ := w.mem.History(context.Background(), state.Key{Account: w.aws.Account, Region: w.aws.Region, ResourceID: rid})
	if len(h) == 0 {
		return false
	}
	e := h[len(h)-1]
	if e.Outcome != string(plan.OutcomePostponed) && e.Outcome != string(plan.OutcomeRefused) {
		return false
	}
	return slices.ContainsFunc(w.digestsAt, func(at time.Time) bool { return !at.Before(e.At) })
}

// lastNotice is the outcome of the last notice published about an instance.
func (w *world) lastNotice(t *truth) string {
	last := ""
	for _, x := range w.sent {
		if slices.Contains(t.names, x.n.Instance) {
			last = x.n.OutcomeName()
		}
	}
	return last
}

// checkMessages: every change forcessl made is told (a notice about the
// instance follows it); the same notice twice, with no change between, only
// after a retry of a run that published it and then failed.
func (w *world) checkMessages() {
	for _, rid := range slices.Sorted(maps.Keys(w.truth)) {
		t := w.truth[rid]
		var mine []*sent
		for _, x := range w.sent {
			if slices.Contains(t.names, x.n.Instance) {
				mine = append(mine, x)
			}
		}
		for _, c := range t.changes {
			told := slices.ContainsFunc(mine, func(x *sent) bool { return !x.at.Before(c) })
			if !told && !t.deleted {
				w.violate("message-lost", "forcessl changed %s at %s and no notice about it followed", t.names[0], c.UTC().Format("01-02T15:04:05"))
				w.because("issue 16 #4: the run that made the change ended before telling it, and no later run told it")
			}
		}
		for k := 1; k < len(mine); k++ {
			a, b := mine[k-1], mine[k]
			// A reboot scheduled for another time is news (a new schedule
			// after the last one was used up), though its reason reads the same.
			if a.n.OutcomeName() != b.n.OutcomeName() || a.n.Reason != b.n.Reason || !sameTime(a.n.RebootAt, b.n.RebootAt) {
				continue
			}
			in := func(c time.Time) bool { return !c.Before(a.at) && !c.After(b.at) }
			between := slices.ContainsFunc(t.changes, in) || slices.ContainsFunc(t.ownerActs, in)
			// A run that published and then failed (its state write, say)
			// is retried, and the retry may tell it again: one duplicate.
			// Its failure is kept under the name it was asked for, which a
			// rename may have changed since.
			failedAfter := func(x *sent) bool {
				return x.proc != nil && slices.ContainsFunc(t.names, func(name string) bool {
					at, ok := x.proc.failed[name]
					return ok && !at.Before(x.at)
				})
			}
			// Only in that order: a publish is fenced by its run's lease
			// (given up before the lease can be taken over), so one that
			// lands after another run told the same thing is a defect.
			excused := a.after || a.proc == nil || a.proc.crashed || a.proc.err != nil || failedAfter(a)
			if !between && !excused {
				w.violate("duplicate-message", "%s told twice (%s at %s by p%d, again at %s by p%d) with no change between",
					b.n.Instance, b.n.OutcomeName(), a.at.UTC().Format("01-02T15:04:05"), a.proc.id, b.at.UTC().Format("01-02T15:04:05"), b.proc.id)
				if b.after || b.proc != nil && (b.proc.crashed || b.proc.err != nil || failedAfter(b)) {
					w.because("a publish landed after another run had told the same: its run's lease ran out during the publish (a publish the lease does not fence)")
				} else {
					w.because("the first run told it and ended well, yet its notice mark did not keep the second run from telling it again")
				}
			}
		}
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
