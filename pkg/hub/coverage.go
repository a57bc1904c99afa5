package hub

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/asff"
	"github.com/forcessl/forcessl/pkg/report"
)

// Coverage reports a sweep's coverage into the central account's own hub
// (central: its account and home Region, where api acts): a FAILED finding
// for each account and Region forcessl could not read, turned PASSED (and
// RESOLVED) when it can again. Why the central account: see
// asff.Coverage. One read of the coverage findings Security Hub has tells
// what changed; nothing is sent for an account and Region that was always
// covered.
func (h *Hub) Coverage(ctx context.Context, api API, central asff.Source, items []report.Item, log *slog.Logger) Stats {
	central.Now, central.Mode, central.ExemptTag = h.now(), h.Mode, h.ExemptTag
	st := Stats{Resources: len(items)}
	if api == nil || len(items) == 0 {
		return st
	}
	f := &types.AwsSecurityFindingFilters{ProductArn: equals(central.Product()), AwsAccountId: equals(central.Account),
		GeneratorId: equals(asff.GeneratorPrefix + asff.CheckCoverage)}
	existing := map[string]types.AwsSecurityFinding{}
	docs, err := findAll(ctx, api, f)
	if err != nil {
		h.failed(ctx, log, central.Account, central.Region, "GetFindings", err)
	}
	for _, d := range docs {
		existing[aws.ToString(d.Id)] = d
	}
	due := central.Now.Add(-h.refresh())
	var sends []types.AwsSecurityFinding
	var moves []move
	for _, it := range items {
		fd := asff.Coverage(central, it.Account, it.Region, !it.NotCovered, it.Error)
		d, known := existing[fd.ID()]
		prev := asff.Status(d.ProductFields[asff.FieldStatus])
		if !known && !it.NotCovered {
			continue // always covered: nothing to say
		}
		if !known || d.ProductFields[asff.FieldFingerprint] != fd.Print || prev != fd.Status || asff.ParseTime(d.UpdatedAt).Before(due) {
			asff.Stamp(&fd.Doc, asff.ParseTime(d.CreatedAt), asff.ParseTime(d.UpdatedAt), central.Now)
			sends = append(sends, fd.Doc)
		}
		if w, ok := asff.Workflow(prev, fd.Status); ok {
			moves = append(moves, move{id: fd.ID(), status: w})
		}
	}
	accepted := importAll(ctx, h, api, log, central, sends)
	st.Imported, st.Failed = len(accepted), len(sends)-len(accepted)
	var ok []move
	for _, m := range moves {
		if accepted[m.id] || existing[m.id].Id != nil {
			ok = append(ok, m)
		}
	}
	st.Workflow = updateWorkflow(ctx, h, api, log, central, ok)
	if len(sends) > 0 {
		log.InfoContext(ctx, "Security Hub coverage findings reported", "account", central.Account, "region", central.Region,
			"imported", st.Imported, "failed", st.Failed, "workflow", st.Workflow)
	}
	return st
}
