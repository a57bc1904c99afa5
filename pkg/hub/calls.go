package hub

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/asff"
)

// Batches splits findings into BatchImportFindings requests within the
// limits. A finding's size is its Go JSON encoding, which has every unset
// field as null and so overstates the wire size: the limits hold with room
// to spare. A finding over the per-finding limit is left out (its index is
// returned); forcessl's are a few KB, bounded by asff's field limits.
func Batches(docs []types.AwsSecurityFinding, l Limits) (batches [][]types.AwsSecurityFinding, tooBig []int) {
	var cur []types.AwsSecurityFinding
	size := 0
	for i, d := range docs {
		b, _ := json.Marshal(d) // plain data: cannot fail
		n := len(b)
		if n > l.FindingBytes {
			tooBig = append(tooBig, i)
			continue
		}
		if len(cur) == l.Findings || len(cur) > 0 && size+n > l.RequestBytes {
			batches, cur, size = append(batches, cur), nil, 0
		}
		cur, size = append(cur, d), size+n
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, tooBig
}

// importFindings imports docs in batches and returns the IDs Security Hub
// accepted. Refused findings (FailedFindings) and failed calls are logged.
func (b *Batch) importFindings(ctx context.Context, docs []types.AwsSecurityFinding) map[string]bool {
	return importAll(ctx, b.hub, b.api, b.log, b.src, docs)
}

func importAll(ctx context.Context, h *Hub, api Importer, log *slog.Logger, src asff.Source, docs []types.AwsSecurityFinding) map[string]bool {
	accepted := map[string]bool{}
	batches, tooBig := Batches(docs, h.limits())
	for _, i := range tooBig {
		log.WarnContext(ctx, "Security Hub finding over the size limit, not imported", "finding", aws.ToString(docs[i].Id))
	}
	for _, batch := range batches {
		out, err := api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
		if err != nil {
			h.failed(ctx, log, src.Account, src.Region, "BatchImportFindings", err)
			continue
		}
		refused := map[string]types.ImportFindingsError{}
		for _, f := range out.FailedFindings {
			refused[aws.ToString(f.Id)] = f
		}
		for _, d := range batch {
			if _, no := refused[aws.ToString(d.Id)]; !no {
				accepted[aws.ToString(d.Id)] = true
			}
		}
		for _, code := range sortedCodes(refused) {
			var first types.ImportFindingsError
			n := 0
			for _, f := range refused {
				if aws.ToString(f.ErrorCode) == code {
					n++
					first = f
				}
			}
			h.failedCode(ctx, log, src.Account, src.Region, "BatchImportFindings", code,
				aws.ToString(first.ErrorMessage)+" ("+strconv.Itoa(n)+" of "+strconv.Itoa(len(batch))+" findings refused, e.g. "+aws.ToString(first.Id)+")")
		}
	}
	return accepted
}

func sortedCodes(refused map[string]types.ImportFindingsError) []string {
	var codes []string
	for _, f := range refused {
		if c := aws.ToString(f.ErrorCode); !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	return codes
}

// updateWorkflow sends workflow moves: one BatchUpdateFindings per status
// and note, 100 findings a call (the call's limit). Only Workflow and Note
// are sent: the customer's fields, which BatchImportFindings cannot change.
// It returns how many findings Security Hub updated.
func updateWorkflow(ctx context.Context, h *Hub, api Updater, log *slog.Logger, src asff.Source, moves []move) int {
	type group struct {
		status types.WorkflowStatus
		note   string
	}
	byGroup := map[group][]string{}
	var order []group
	for _, m := range moves {
		g := group{m.status, m.note}
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], m.id)
	}
	updated := 0
	for _, g := range order {
		ids := byGroup[g]
		for start := 0; start < len(ids); start += 100 {
			in := &securityhub.BatchUpdateFindingsInput{Workflow: &types.WorkflowUpdate{Status: g.status}}
			for _, id := range ids[start:min(start+100, len(ids))] {
				in.FindingIdentifiers = append(in.FindingIdentifiers, types.AwsSecurityFindingIdentifier{Id: aws.String(id), ProductArn: aws.String(src.Product())})
			}
			if g.note != "" {
				in.Note = &types.NoteUpdate{Text: aws.String(g.note), UpdatedBy: aws.String(asff.NoteAuthor)}
			}
			updated += update(ctx, h, api, log, src, in)
		}
	}
	return updated
}

// update makes one BatchUpdateFindings call and returns how many findings
// it updated; what it could not update is logged.
func update(ctx context.Context, h *Hub, api Updater, log *slog.Logger, src asff.Source, in *securityhub.BatchUpdateFindingsInput) int {
	out, err := api.BatchUpdateFindings(ctx, in)
	if err != nil {
		h.failed(ctx, log, src.Account, src.Region, "BatchUpdateFindings", err)
		return 0
	}
	for _, u := range out.UnprocessedFindings {
		code := aws.ToString(u.ErrorCode)
		msg := aws.ToString(u.ErrorMessage)
		if u.FindingIdentifier != nil {
			msg += " (" + aws.ToString(u.FindingIdentifier.Id) + ")"
		}
		h.failedCode(ctx, log, src.Account, src.Region, "BatchUpdateFindings", code, msg)
	}
	return len(out.ProcessedFindings)
}

// findAll pages through GetFindings (100 a page, its maximum).
func findAll(ctx context.Context, api Finder, f *types.AwsSecurityFindingFilters) ([]types.AwsSecurityFinding, error) {
	var all []types.AwsSecurityFinding
	p := securityhub.NewGetFindingsPaginator(api, &securityhub.GetFindingsInput{Filters: f, MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Findings...)
	}
	return all, nil
}
