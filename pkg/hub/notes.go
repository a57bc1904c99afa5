package hub

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/asff"
)

// noteTarget is a resource forcessl acted on, and its control.
type noteTarget struct {
	add     added
	control string
	arn     string
}

// notes annotates AWS's control finding of each instance forcessl acted on
// (RDS.38/39/41/44): what it did and when the reboot is, as a note by
// forcessl. Nothing else of the control finding changes: its compliance is
// Security Hub's. The findings are looked up by resource ARN and generator
// (both forms), 20 resources a read. It returns how many notes it left.
func (b *Batch) notes(ctx context.Context, src asff.Source, adds []added) int {
	var targets []noteTarget
	for _, a := range adds {
		if !asff.Acted(a.res) {
			continue
		}
		if id, ok := asff.Control(a.res.Kind, a.res.Engine); ok {
			targets = append(targets, noteTarget{add: a, control: id, arn: asff.ResourceARN(src, a.res)})
		}
	}
	noted := 0
	for start := 0; start < len(targets); start += maxFilterValues {
		chunk := targets[start:min(start+maxFilterValues, len(targets))]
		f := &types.AwsSecurityFindingFilters{RecordState: equals(string(types.RecordStateActive))}
		var generators []string
		for _, t := range chunk {
			f.ResourceId = append(f.ResourceId, equals(t.arn)...)
			for _, g := range asff.ControlGenerators(t.control) {
				if !slices.Contains(generators, g) {
					generators = append(generators, g)
				}
			}
		}
		f.GeneratorId = equals(generators...)
		found, err := findAll(ctx, b.api, f)
		if err != nil {
			b.hub.failed(ctx, b.log, src.Account, src.Region, "GetFindings", err)
			return noted
		}
		for _, t := range chunk {
			var ids []types.AwsSecurityFindingIdentifier
			for _, d := range found {
				if asff.IsControlFinding(d, t.control, t.arn) {
					ids = append(ids, types.AwsSecurityFindingIdentifier{Id: d.Id, ProductArn: d.ProductArn})
				}
			}
			if len(ids) == 0 {
				b.log.InfoContext(ctx, "no "+t.control+" control finding in Security Hub for this instance (control off, or not yet evaluated): no note",
					"instance", t.add.res.Name, "control", t.control)
				continue
			}
			noted += update(ctx, b.hub, b.api, b.log, src, &securityhub.BatchUpdateFindingsInput{FindingIdentifiers: ids,
				Note: &types.NoteUpdate{Text: aws.String(asff.ControlNote(t.add.res, src.Now)), UpdatedBy: aws.String(asff.NoteAuthor)}})
		}
	}
	return noted
}
