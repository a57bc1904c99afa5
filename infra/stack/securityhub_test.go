package stack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/config"
)

// shArn is a Security Hub ARN of this account, any region, as
// synthesized, for resource (e.g. ":hub/default").
func shArn(resource ...any) any {
	account := map[string]any{"Ref": "AWS::AccountId"}
	parts := []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":securityhub:*:", account}
	return map[string]any{"Fn::Join": []any{"", append(parts, resource...)}}
}

// TestSecurityHubPolicy: with securityHub=true the function may import
// findings into this account's default product and read and update this
// account's hub's findings, in each region it reaches with its own
// credentials; nothing of Security Hub otherwise.
func TestSecurityHubPolicy(t *testing.T) {
	for name, f := range allStacks(t) {
		// GIVEN a configuration WHEN synthesized THEN FORCESSL_SECURITY_HUB
		// as the engine writes it
		on := f.stack.Settings.SecurityHub()
		if got, want := functionEnv(t, f)[config.EnvSecurityHub], map[bool]string{true: "on", false: "off"}[on]; got != want {
			t.Errorf("%s: %s = %v, want %s", name, config.EnvSecurityHub, got, want)
		}
		sts := functionStatements(t, f)
		raw, _ := json.Marshal(f.resources("AWS::IAM::Policy"))
		if !on {
			if strings.Contains(string(raw), "securityhub:") || f.stack.Remediator.SecurityHub.All() != nil {
				t.Errorf("%s: Security Hub off, yet granted", name)
			}
			continue
		}
		// THEN exactly the three actions, on the product and hub ARNs of
		// this account, in the regions forcessl covers (its own and the
		// listed ones)
		account := map[string]any{"Ref": "AWS::AccountId"}
		for sid, want := range map[string]map[string]any{
			"ImportOwnFindings": {"Sid": "ImportOwnFindings", "Effect": "Allow", "Action": "securityhub:BatchImportFindings",
				"Resource": shArn(":product/", account, "/default")},
			"ReadAndUpdateFindings": {"Sid": "ReadAndUpdateFindings", "Effect": "Allow",
				"Action": []any{"securityhub:BatchUpdateFindings", "securityhub:GetFindings"}, "Resource": shArn(":hub/default")},
		} {
			got := sts[sid]
			if got == nil {
				t.Errorf("%s: no %s", name, sid)
				continue
			}
			if !jsonEq(got["Resource"], want["Resource"]) || !jsonEq(got["Action"], want["Action"]) || got["Effect"] != "Allow" {
				t.Errorf("%s: %s =\n%v\nwant\n%v", name, sid, got, want)
			}
		}
		// ... only in the regions forcessl covers (its own and the listed
		// ones), with the RDS actions.
		for _, at := range []string{"ap-south-1", "eu-west-1"} {
			want := append(slices.Clone(f.stack.Settings.Function.Regions), at)
			if slices.Contains(f.stack.Settings.Function.Regions, at) {
				want = slices.Clone(f.stack.Settings.Function.Regions)
			}
			checkRegionGuard(t, name, f.json, sts, map[string]string{"AWS::Region": at}, want)
		}
		var granted []string
		for _, st := range sts {
			for _, a := range actions(st) {
				if strings.HasPrefix(a, "securityhub:") && st["Effect"] == "Allow" {
					granted = append(granted, a)
				}
			}
		}
		if slices.Sort(granted); !slices.Equal(granted, []string{"securityhub:BatchImportFindings",
			"securityhub:BatchUpdateFindings", "securityhub:GetFindings"}) {
			t.Errorf("%s: Security Hub actions granted %v", name, granted)
		}
		// ... and BatchUpdateFindings may set Workflow.Status and Note
		// only: every other field has its Deny on its ASFF syntax path.
		var kept []string
		for _, st := range sts {
			if st["Effect"] != "Deny" || st["Action"] != "securityhub:BatchUpdateFindings" {
				continue
			}
			null, _ := st["Condition"].(map[string]any)["Null"].(map[string]any)
			if len(null) != 1 || st["Resource"] != "*" {
				t.Errorf("%s: %v", name, st)
			}
			for k, v := range null {
				if v != "false" {
					t.Errorf("%s: %s: Null %v", name, k, v)
				}
				kept = append(kept, strings.TrimPrefix(k, "securityhub:ASFFSyntaxPath/"))
			}
		}
		slices.Sort(kept)
		if want := slices.Sorted(slices.Values(UntouchedFindingFields)); !slices.Equal(kept, want) {
			t.Errorf("%s: BatchUpdateFindings denied on %v, want %v", name, kept, want)
		}
		for _, own := range []string{"Workflow.Status", "Note.Text", "Note.UpdatedBy"} {
			if slices.Contains(kept, own) {
				t.Errorf("%s: forcessl's own %s is denied", name, own)
			}
		}
	}
}

// TestMemberSecurityHub: the member role carries the same Security Hub
// statements for its own account (Security Hub takes a finding only from
// the account it is about), over the member regions and the central one;
// none with Security Hub off.
func TestMemberSecurityHub(t *testing.T) {
	// GIVEN securityHub=true in organization mode WHEN synthesized
	tpl, m := member(t, orgPostureStack(t))
	account := map[string]any{"Ref": "AWS::AccountId"}
	product, hub := shArn(":product/", account, "/default"), shArn(":hub/default")
	// THEN the remediation role imports into its own product and reads and
	// updates its own hub
	for _, r := range memberResources(m, "AWS::IAM::Role") {
		props := r["Properties"].(map[string]any)
		if props["RoleName"] != DefaultMemberRoleName {
			continue
		}
		var sids []string
		sts := map[string]map[string]any{}
		for _, s := range asList(props["Policies"].([]any)[0].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			sid, _ := st["Sid"].(string) // the Keep Denies have none
			sids = append(sids, sid)
			sts[sid] = st
			switch st["Sid"] {
			case "ImportOwnFindings":
				if st["Action"] != "securityhub:BatchImportFindings" || !jsonEq(st["Resource"], product) {
					t.Errorf("member ImportOwnFindings = %v", st)
				}
			case "ReadAndUpdateFindings":
				if !jsonEq(st["Action"], []any{"securityhub:BatchUpdateFindings", "securityhub:GetFindings"}) || !jsonEq(st["Resource"], hub) {
					t.Errorf("member ReadAndUpdateFindings = %v", st)
				}
			default:
				continue
			}

		}
		for _, sid := range []string{"ImportOwnFindings", "ReadAndUpdateFindings"} {
			if !slices.Contains(sids, sid) {
				t.Errorf("member role has no %s: %v", sid, sids)
			}
		}
		// ... in the regions forcessl covers only, as the central stack
		// passes them, like its RDS actions.
		checkRegionGuard(t, "member", m, sts, map[string]string{ParamCoveredRegions: "us-east-1,eu-west-1"},
			[]string{"us-east-1", "eu-west-1"})
	}
	tpl.ResourceCountIs(jsii.String("AWS::IAM::Role"), jsii.Number(2))
	// ... and without securityHub none
	for _, f := range []*fixture{orgStack(t), orgReportStack(t)} {
		if strings.Contains(f.stack.Organization.MemberTemplate, "securityhub") {
			t.Error("member template grants Security Hub with securityHub off")
		}
	}
	// The central function's posture environment reaches the engine too.
	orgPostureStack(t).template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
		"Environment": map[string]any{"Variables": map[string]any{
			config.EnvSecurityHub: "on", config.EnvCA: "rds-ca-rsa2048-g1", config.EnvTLSProfile: "modern",
			config.EnvNoticeLead: "2d", config.EnvCAWarn: "90d",
		}},
	})
}
