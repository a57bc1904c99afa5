package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/result"
	"github.com/forcessl/forcessl/pkg/state"
)

// Batch collects the results of one request (an event's resource, a
// parameter group's, a sweep item's account and Region) and reports them
// in Flush, after the reconciles: findings are imported 100 to a call, not
// one call per resource. Add is safe for concurrent use.
type Batch struct {
	hub *Hub
	api API
	src asff.Source
	log *slog.Logger

	mu   sync.Mutex
	adds []added
}

// added is one reconciled resource: its result and, with a state table,
// its key and the mark of what was last imported.
type added struct {
	res  result.Resource
	key  *state.Key
	mark *state.HubMark
}

// Batch starts the batch of a request in an account and Region; api acts
// there (through the member's role for a member account: imports are
// accepted only from the account the findings are about).
func (h *Hub) Batch(api API, account, region string, log *slog.Logger) *Batch {
	return &Batch{hub: h, api: api, log: log,
		src: asff.Source{Account: account, Region: region, Mode: h.Mode, ExemptTag: h.ExemptTag}}
}

// Add takes one reconciled resource: key and mark are its memory (nil
// without a state table, or for a resource without an immutable ID).
func (b *Batch) Add(_ context.Context, res result.Resource, key *state.Key, mark *state.HubMark) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.adds = append(b.adds, added{res: res, key: key, mark: mark})
}

// Stats is what a flush sent, for logs and tests.
type Stats struct {
	Resources, Imported, Failed, Workflow, Notes int
}

// Flush reports everything added since the last flush: it imports what
// changed, sets workflow statuses, annotates control findings and records
// the marks of what Security Hub accepted. It never fails: errors are
// logged.
func (b *Batch) Flush(ctx context.Context) Stats {
	b.mu.Lock()
	adds := b.adds
	b.adds = nil
	b.mu.Unlock()
	st := Stats{Resources: len(adds)}
	if len(adds) == 0 || b.api == nil {
		return st
	}
	src := b.src
	src.Now = b.hub.now()
	adds = latest(src, adds)

	var unremembered []added
	for _, a := range adds {
		if a.key == nil {
			unremembered = append(unremembered, a)
		}
	}
	var existing map[string][]types.AwsSecurityFinding // by resource ARN
	if len(unremembered) > 0 {
		existing = b.readOwn(ctx, src, unremembered)
	}
	plans := make([]*resourcePlan, 0, len(adds))
	for _, a := range adds {
		if p := b.plan(src, a, existing[asff.ResourceARN(src, a.res)]); p != nil {
			plans = append(plans, p)
		}
	}
	b.fetchExempt(ctx, src, plans)

	var docs []types.AwsSecurityFinding
	for _, p := range plans {
		for _, f := range p.sends {
			docs = append(docs, f.Doc)
		}
	}
	accepted := b.importFindings(ctx, docs)
	st.Imported, st.Failed = len(accepted), len(docs)-len(accepted)
	st.Workflow = b.workflow(ctx, src, plans, accepted)
	st.Notes = b.notes(ctx, src, adds)
	b.remember(ctx, src, plans, accepted)
	level := slog.LevelDebug
	if st.Imported > 0 || st.Workflow > 0 || st.Notes > 0 {
		level = slog.LevelInfo
	}
	if len(docs) > 0 || st.Workflow > 0 || st.Notes > 0 {
		b.log.Log(ctx, level, "Security Hub findings reported", "resources", st.Resources, "imported", st.Imported,
			"failed", st.Failed, "workflow", st.Workflow, "notes", st.Notes)
	}
	return st
}

// latest keeps each resource's last result, in the order first added: one
// finding is one document in a flush, even if a request reached its
// resource twice.
func latest(src asff.Source, adds []added) []added {
	at := map[string]int{}
	var out []added
	for _, a := range adds {
		arn := asff.ResourceARN(src, a.res)
		if i, seen := at[arn]; seen {
			out[i] = a
			continue
		}
		at[arn] = len(out)
		out = append(out, a)
	}
	return out
}

// resourcePlan is what a flush does for one resource.
type resourcePlan struct {
	add   added
	prev  asff.Mark
	sends []asff.Finding
	moves []move
	// exempt: IDs of the findings to keep alive as exempt, whose content
	// must be read from Security Hub (with a state table only the
	// fingerprint is remembered); have: what is known of it.
	exempt []string
	have   map[string]types.AwsSecurityFinding
	note   string
	// gone: checks of an exempt resource Security Hub no longer has.
	gone []string
}

// move is a workflow change on one finding.
type move struct {
	id     string
	status types.WorkflowStatus
	note   string
}

// plan decides what to send for one resource, from its mark (state
// table) or from its findings as Security Hub has them (existing).
func (b *Batch) plan(src asff.Source, a added, existing []types.AwsSecurityFinding) *resourcePlan {
	switch a.res.State {
	case "":
		return nil // decided nothing (an error before the decision): nothing to say
	}
	p := &resourcePlan{add: a, prev: asff.Mark{}, have: map[string]types.AwsSecurityFinding{}}
	if a.key != nil {
		if a.mark != nil {
			p.prev = asff.ParseMark(a.mark.Fingerprint)
		}
	} else {
		for _, d := range existing {
			check := d.ProductFields[asff.FieldCheck]
			if check == "" || aws.ToString(d.AwsAccountId) != src.Account {
				continue
			}
			p.prev[check] = asff.Entry{Status: asff.Status(d.ProductFields[asff.FieldStatus]), Print: d.ProductFields[asff.FieldFingerprint],
				Created: asff.ParseTime(d.CreatedAt), Imported: asff.ParseTime(d.UpdatedAt)}
			p.have[aws.ToString(d.Id)] = d
		}
	}
	due := src.Now.Add(-b.hub.refresh())
	arn := asff.ResourceARN(src, a.res)

	if note, ok := asff.Exemption(a.res); ok {
		p.note = note
		for check, e := range p.prev {
			if e.Status != asff.Archived && (e.Status != asff.Exempted || e.Imported.Before(due)) {
				p.exempt = append(p.exempt, asff.ID(arn, check))
			}
		}
		return p
	}
	made := map[string]bool{}
	for _, f := range asff.Findings(src, a.res) {
		made[f.Check] = true
		e, known := p.prev[f.Check]
		if !known || e.Print != f.Print || e.Status != f.Status || e.Imported.Before(due) {
			asff.Stamp(&f.Doc, e.Created, e.Imported, src.Now)
			if !known {
				asff.AsNew(&f.Doc) // top-level Severity and Types on the first import only
			}
			p.sends = append(p.sends, f)
		}
		if w, ok := asff.Workflow(e.Status, f.Status); ok {
			p.moves = append(p.moves, move{id: f.ID(), status: w})
		}
	}
	if a.res.Failed() {
		return p // a check missing from a failed run is not a check turned off
	}
	why := "the check is no longer configured"
	if a.res.State == plan.OutOfScope || a.res.State == plan.NotFound {
		why = a.res.Reason
	}
	for check, e := range p.prev {
		if !made[check] && e.Status != asff.Archived {
			f := asff.Archive(src, a.res, check, why)
			asff.Stamp(&f.Doc, e.Created, e.Imported, src.Now)
			p.sends = append(p.sends, f)
		}
	}
	return p
}

// fetchExempt reads the findings of exempt resources forcessl keeps alive
// and makes their documents: the content as Security Hub has it, which a
// state table does not keep.
func (b *Batch) fetchExempt(ctx context.Context, src asff.Source, plans []*resourcePlan) {
	var missing []string
	for _, p := range plans {
		for _, id := range p.exempt {
			if _, ok := p.have[id]; !ok {
				missing = append(missing, id)
			}
		}
	}
	found := map[string]types.AwsSecurityFinding{}
	for start := 0; start < len(missing); start += maxFilterValues {
		f := &types.AwsSecurityFindingFilters{ProductArn: equals(src.Product()), Id: equals(missing[start:min(start+maxFilterValues, len(missing))]...)}
		docs, err := b.find(ctx, f)
		if err != nil {
			b.hub.failed(ctx, b.log, src.Account, src.Region, "GetFindings", err)
			return
		}
		for _, d := range docs {
			found[aws.ToString(d.Id)] = d
		}
	}
	for _, p := range plans {
		for _, id := range p.exempt {
			d, ok := p.have[id]
			if !ok {
				if d, ok = found[id]; !ok {
					p.gone = append(p.gone, checkOf(p, id)) // expired or deleted: nothing to keep
					continue
				}
			}
			f := asff.Exempt(d)
			e := p.prev[f.Check]
			asff.Stamp(&f.Doc, asff.ParseTime(d.CreatedAt), asff.ParseTime(d.UpdatedAt), src.Now)
			p.sends = append(p.sends, f)
			if w, ok := asff.Workflow(e.Status, asff.Exempted); ok {
				p.moves = append(p.moves, move{id: id, status: w, note: p.note})
			}
		}
	}
}

// checkOf is the check of one of an exempt resource's finding IDs.
func checkOf(p *resourcePlan, id string) string {
	for check := range p.prev {
		if strings.HasSuffix(id, "/"+check) {
			return check
		}
	}
	return ""
}

// readOwn reads forcessl's findings on the resources as Security Hub has
// them, by resource ARN: one filtered read for a few resources, all of
// forcessl's findings in the account and Region for many (a sweep item).
// On failure it returns nothing, and every finding is sent.
func (b *Batch) readOwn(ctx context.Context, src asff.Source, adds []added) map[string][]types.AwsSecurityFinding {
	filters := []*types.AwsSecurityFindingFilters{}
	base := func() *types.AwsSecurityFindingFilters {
		return &types.AwsSecurityFindingFilters{ProductArn: equals(src.Product()), AwsAccountId: equals(src.Account)}
	}
	if len(adds) > 2*maxFilterValues {
		f := base()
		f.GeneratorId = []types.StringFilter{{Comparison: types.StringFilterComparisonPrefix, Value: aws.String(asff.GeneratorPrefix)}}
		filters = append(filters, f)
	} else {
		for start := 0; start < len(adds); start += maxFilterValues {
			f := base()
			for _, a := range adds[start:min(start+maxFilterValues, len(adds))] {
				f.ResourceId = append(f.ResourceId, equals(asff.ResourceARN(src, a.res))...)
			}
			filters = append(filters, f)
		}
	}
	out := map[string][]types.AwsSecurityFinding{}
	for _, f := range filters {
		docs, err := b.find(ctx, f)
		if err != nil {
			b.hub.failed(ctx, b.log, src.Account, src.Region, "GetFindings", err)
			return nil
		}
		for _, d := range docs {
			// Matched here too: filters narrow the read, they are not
			// trusted to be exact (an aggregation Region returns other
			// Regions' findings, an emulator may ignore filters).
			if aws.ToString(d.ProductArn) != src.Product() || len(d.Resources) == 0 {
				continue
			}
			arn := aws.ToString(d.Resources[0].Id)
			if aws.ToString(d.Id) == asff.ID(arn, d.ProductFields[asff.FieldCheck]) {
				out[arn] = append(out[arn], d)
			}
		}
	}
	return out
}

// find pages through GetFindings.
func (b *Batch) find(ctx context.Context, f *types.AwsSecurityFindingFilters) ([]types.AwsSecurityFinding, error) {
	return findAll(ctx, b.api, f)
}

// workflow sends the workflow moves of the findings Security Hub has: 100
// findings a call, one call per status and note. It returns how many
// findings it updated.
func (b *Batch) workflow(ctx context.Context, src asff.Source, plans []*resourcePlan, accepted map[string]bool) int {
	var moves []move
	for _, p := range plans {
		sent := map[string]bool{}
		for _, f := range p.sends {
			sent[f.ID()] = true
		}
		for _, m := range p.moves {
			// A finding Security Hub does not have cannot be updated: new
			// and not accepted.
			if accepted[m.id] || !sent[m.id] {
				moves = append(moves, m)
			}
		}
	}
	return updateWorkflow(ctx, b.hub, b.api, b.log, src, moves)
}

// remember records, for the resources with a state table, the mark of what
// Security Hub now has: findings it refused keep their old entry, so they
// are sent again next time.
func (b *Batch) remember(ctx context.Context, src asff.Source, plans []*resourcePlan, accepted map[string]bool) {
	if b.hub.Memory == nil {
		return
	}
	due := src.Now.Add(-b.hub.refresh())
	for _, p := range plans {
		if p.add.key == nil {
			continue
		}
		next := maps.Clone(p.prev)
		for check, e := range next {
			if e.Status == asff.Archived && e.Imported.Before(due) {
				delete(next, check) // expires in Security Hub: stop following it
			}
		}
		for _, check := range p.gone {
			delete(next, check)
		}
		for _, f := range p.sends {
			if accepted[f.ID()] {
				next[f.Check] = asff.Entry{Status: f.Status, Print: f.Print, Created: asff.ParseTime(f.Doc.CreatedAt), Imported: asff.ParseTime(f.Doc.UpdatedAt)}
			}
		}
		if next.String() == p.prev.String() {
			continue
		}
		if err := b.writeMark(ctx, *p.add.key, next, src.Now); err != nil {
			// The findings are in Security Hub; without the mark they are
			// sent once more next time, which changes nothing there.
			b.log.WarnContext(ctx, "Security Hub mark not recorded", "instance", p.add.res.Name, "error", err.Error())
		}
	}
}

// writeMark writes a resource's mark into its memory, re-reading on a
// conflicting write (another run recorded the resource meanwhile).
func (b *Batch) writeMark(ctx context.Context, k state.Key, m asff.Mark, now time.Time) error {
	for attempt := 0; attempt < 3; attempt++ {
		r, known, err := b.hub.Memory.Resource(ctx, k)
		if err != nil {
			return fmt.Errorf("read the state of %s: %w", k.ResourceID, err)
		}
		if !known {
			return nil // never recorded (its reconcile failed to): nothing to attach the mark to
		}
		r.SecurityHub = nil
		if len(m) > 0 {
			var last time.Time
			for _, e := range m {
				if e.Imported.After(last) {
					last = e.Imported
				}
			}
			r.SecurityHub = &state.HubMark{Fingerprint: m.String(), ImportedAt: last}
		}
		r.UpdatedAt = now
		if err = b.hub.Memory.PutResource(ctx, r); !errors.Is(err, state.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("write the state of %s: %w", k.ResourceID, state.ErrConflict)
}

func equals(values ...string) []types.StringFilter {
	var f []types.StringFilter
	for _, v := range values {
		f = append(f, types.StringFilter{Comparison: types.StringFilterComparisonEquals, Value: aws.String(v)})
	}
	return f
}
