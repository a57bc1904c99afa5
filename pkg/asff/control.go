package asff

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/forcessl/forcessl/pkg/plan"
	"github.com/forcessl/forcessl/pkg/result"
)

// NoteAuthor is who forcessl's notes on control findings are by
// (Note.UpdatedBy).
const NoteAuthor = "forcessl"

// Control is AWS Security Hub's control on the TLS switch of a DB
// instance's engine (rds-controls.md): RDS.38 PostgreSQL, RDS.39 MySQL,
// RDS.41 SQL Server, RDS.44 MariaDB. They "don't evaluate RDS DB instances
// that are part of a DB cluster", and no control covers DB clusters, so a
// cluster has none.
func Control(kind plan.Kind, engine string) (string, bool) {
	if kind == plan.KindCluster {
		return "", false
	}
	switch e := strings.ToLower(engine); {
	case e == "postgres":
		return "RDS.38", true
	case e == "mysql":
		return "RDS.39", true
	case strings.HasPrefix(e, "sqlserver-"):
		return "RDS.41", true
	case e == "mariadb":
		return "RDS.44", true
	}
	return "", false
}

// ControlGenerators are the GeneratorIds a control's findings carry: with
// consolidated control findings "security-control/<id>", without them the
// Foundational Security Best Practices standard's
// "aws-foundational-security-best-practices/v/1.0.0/<id>"
// (asff-changes-consolidation.md, "Generator IDs before and after turning
// on consolidated control findings").
func ControlGenerators(id string) []string {
	return []string{"security-control/" + id, "aws-foundational-security-best-practices/v/1.0.0/" + id}
}

// IsControlFinding reports whether f is control id's active finding on the
// resource arn: by generator (either form), or by the control ID
// consolidated findings carry in Compliance.SecurityControlId.
func IsControlFinding(f types.AwsSecurityFinding, id, arn string) bool {
	if f.RecordState == types.RecordStateArchived {
		return false
	}
	byGenerator := slices.Contains(ControlGenerators(id), aws.ToString(f.GeneratorId))
	byControl := f.Compliance != nil && aws.ToString(f.Compliance.SecurityControlId) == id
	if !byGenerator && !byControl {
		return false
	}
	return slices.ContainsFunc(f.Resources, func(r types.Resource) bool { return aws.ToString(r.Id) == arn })
}

// Acted reports whether forcessl changed the resource in this run: only
// then is the control finding annotated.
func Acted(res result.Resource) bool { return len(res.Changed) > 0 && !res.Failed() }

// ControlNote is the note forcessl leaves on the control finding when it
// acts on the resource: what it did and when the reboot is. It says
// nothing of the control's compliance, which Security Hub owns.
func ControlNote(res result.Resource, now time.Time) string {
	var b strings.Builder
	b.WriteString("forcessl, " + now.UTC().Format(time.RFC3339) + ": " + string(res.Outcome) + ": " + strings.Join(res.Changed, "; ") + ".")
	switch {
	case res.Outcome == plan.OutcomeRebooted:
		b.WriteString(" The TLS setting takes effect with this restart; the control passes at its next periodic check.")
	case res.RebootAt != nil:
		b.WriteString(" It takes effect at the reboot scheduled for " + res.RebootAt.UTC().Format(time.RFC3339) +
			" (maintenance window); the control passes at its next periodic check after that.")
	}
	return cut(b.String(), MaxNote)
}
