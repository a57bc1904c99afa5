package stack

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// One jsii runtime for the whole package: closing it per test costs ~4 s.
// (The runtime starts during package initialisation, so the Node 20
// end-of-life banner can only be silenced from outside: run the tests with
// JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20, as .ci/cdk.sh does.)
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// cdkJSONContext is the context of cdk.json (feature flags), so the tests
// synthesize what `cdk synth` synthesizes.
func cdkJSONContext(t *testing.T, extra map[string]any) *map[string]any {
	t.Helper()
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		f.Context[k] = v
	}
	return &f.Context
}

// fixture is one synthesized stack: the GIVEN (a context) and WHEN (the
// app built and synthesized from it, as main does) of most tests here.
type fixture struct {
	app      awscdk.App
	stack    *ForceSSL
	template assertions.Template
	json     map[string]any
}

var fixtures = map[string]*fixture{}

// testDeployRegion is the region the fixtures are synthesized for.
const testDeployRegion = "ap-southeast-2"

// synth builds (once per name) an app from context, as main does.
func synth(t *testing.T, name string, ctx map[string]any) *fixture {
	t.Helper()
	if f, ok := fixtures[name]; ok {
		return f
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkJSONContext(t, ctx)})
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	// As the CLI's CDK_DEFAULT_REGION would give it (main): the region the
	// tests deploy the environment-agnostic stack to (AWS::Region below).
	st := NewForceSSL(app, "ForceSSL", &ForceSSLProps{Settings: settings, ModuleRoot: root, DeployRegion: testDeployRegion})
	tpl := assertions.Template_FromStack(st.Stack, nil)
	f := &fixture{app: app, stack: st, template: tpl, json: (*tpl.ToJSON())}
	fixtures[name] = f
	return f
}

// reportStack is a deploy with no context: report mode, no subscriptions.
func reportStack(t *testing.T) *fixture { return synth(t, "report", nil) }

// enforceStack is a fully configured deploy.
func enforceStack(t *testing.T) *fixture {
	return synth(t, "enforce", map[string]any{
		CtxMode:             "enforce",
		CtxReboot:           "immediate",
		CtxMinLead:          "30m",
		CtxEngines:          "postgres,mysql",
		CtxExemptTag:        "team:tls-exempt",
		CtxNotifyEmails:     "ops@example.com,dba@example.com",
		CtxSlackWorkspaceID: "T0123ABCD",
		CtxSlackChannelID:   "C0123ABCD",
		CtxLogRetentionDays: "90",
		CtxLogLevel:         "debug",
	})
}

// sweepStack is a single-account deploy with every sweep key set.
func sweepStack(t *testing.T) *fixture {
	return synth(t, "sweep", map[string]any{
		CtxSweepSchedule:    "rate(12 hours)",
		CtxSweepConcurrency: 4,
		CtxSweepParallelism: "8",
		CtxSweepRegions:     "eu-west-1,us-east-1",
	})
}

// orgContext is an enforcing organization deployment with an allow-list.
var orgContext = map[string]any{
	CtxMode:      "enforce",
	CtxOrgID:     "o-abc123def4",
	CtxTargetOUs: "ou-ab12-cdef3456,ou-ab12-7890abcd",
	CtxRegions:   "us-east-1,eu-west-1",
	CtxAccounts:  "111111111111,222222222222",
}

// orgStack is an enforcing organization deployment.
func orgStack(t *testing.T) *fixture { return synth(t, "org", orgContext) }

// orgReportStack is an organization deployment in report mode, from a
// delegated administrator, with a custom member role name.
func orgReportStack(t *testing.T) *fixture {
	return synth(t, "org-report", map[string]any{
		CtxOrgID:          "o-abc123def4",
		CtxTargetOUs:      []any{"r-ab12"},
		CtxRegions:        "eu-west-1",
		CtxMemberRoleName: "ops-forcessl",
		CtxStackSetCallAs: "DELEGATED_ADMIN",
	})
}

// postureContext sets every TLS posture key and Security Hub, enforcing
// with a CA to apply, over two more regions.
var postureContext = map[string]any{
	CtxMode:         "enforce",
	CtxTLSProfile:   "modern",
	CtxCAWarn:       "60d",
	CtxCA:           "rds-ca-rsa2048-g1",
	CtxNoticeLead:   "48h",
	CtxSecurityHub:  true, // as cdk.json writes a switch
	CtxSweepRegions: "eu-west-1,us-east-1",
}

// postureStack is a single-account deploy with postureContext.
func postureStack(t *testing.T) *fixture { return synth(t, "posture", postureContext) }

// orgPostureStack is orgContext with the posture keys and Security Hub.
func orgPostureStack(t *testing.T) *fixture {
	ctx := maps.Clone(orgContext)
	for _, k := range []string{CtxTLSProfile, CtxCA, CtxNoticeLead} {
		ctx[k] = postureContext[k]
	}
	ctx[CtxSecurityHub] = "true" // as -c securityHub=true gives it
	return synth(t, "org-posture", ctx)
}

// allStacks are every fixture, by name.
func allStacks(t *testing.T) map[string]*fixture {
	return map[string]*fixture{
		"report": reportStack(t), "enforce": enforceStack(t), "sweep": sweepStack(t),
		"org": orgStack(t), "org-report": orgReportStack(t),
		"posture": postureStack(t), "org-posture": orgPostureStack(t),
	}
}

// logicalID is the CloudFormation logical ID of a resource's L1.
func logicalID(st *ForceSSL, node awscdk.IResource) string {
	return *st.GetLogicalId(node.Node().DefaultChild().(awscdk.CfnElement))
}

// resources are the template's resources of one type, by logical ID.
func (f *fixture) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range f.json["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

// policyDocuments yields every IAM policy document in the template with
// where it was found.
func policyDocuments(f *fixture) map[string]map[string]any {
	docs := map[string]map[string]any{}
	for id, r := range f.json["Resources"].(map[string]any) {
		props, _ := r.(map[string]any)["Properties"].(map[string]any)
		for _, key := range []string{"PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy"} {
			if d, ok := props[key].(map[string]any); ok {
				docs[id+"."+key] = d
			}
		}
		if ps, ok := props["Policies"].([]any); ok {
			for i, p := range ps {
				docs[id+".Policies."+string(rune('0'+i))] = p.(map[string]any)["PolicyDocument"].(map[string]any)
			}
		}
	}
	return docs
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func like(m map[string]any) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

func jsonEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// functionStatements are the statements of the function role's policy, by Sid.
func functionStatements(t *testing.T, f *fixture) map[string]map[string]any {
	t.Helper()
	role := logicalID(f.stack, f.stack.Remediator.Role)
	out := map[string]map[string]any{}
	for _, p := range f.resources("AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		if props["Roles"].([]any)[0].(map[string]any)["Ref"] != role {
			continue
		}
		for i, s := range asList(props["PolicyDocument"].(map[string]any)["Statement"]) {
			st := s.(map[string]any)
			sid, _ := st["Sid"].(string)
			if sid == "" {
				sid = "#" + string(rune('0'+i))
			}
			out[sid] = st
		}
	}
	return out
}

func actions(st map[string]any) []string {
	var out []string
	for _, a := range asList(st["Action"]) {
		out = append(out, a.(string))
	}
	slices.Sort(out)
	return out
}

func resourceSuffixes(st map[string]any) []string {
	var out []string
	for _, r := range asList(st["Resource"]) {
		b, _ := json.Marshal(r)
		s := string(b)
		out = append(out, s[strings.LastIndex(s, `":`)+1:])
	}
	return out
}

// member is the member stack's template as the StackSet embeds it.
func member(t *testing.T, f *fixture) (assertions.Template, map[string]any) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(f.stack.Organization.MemberTemplate), &m); err != nil {
		t.Fatal(err)
	}
	return assertions.Template_FromJSON(&m, nil), m
}

func memberResources(m map[string]any, typ string) map[string]map[string]any {
	return (&fixture{json: m}).resources(typ)
}

// evalCfn evaluates the few intrinsic functions the function's environment
// and the region conditions use (Ref AWS::Region, Fn::Join, Fn::If,
// Fn::Split, and in conditions Fn::Equals and Fn::Or) as CloudFormation
// would deploy the template in region. Any other value fails the test.
func evalCfn(t *testing.T, f *fixture, v any, region string) any {
	t.Helper()
	return evalTemplate(t, f.json, v, map[string]string{"AWS::Region": region})
}

// evalTemplate is evalCfn for any template, with refs the values of the
// pseudo parameters and parameters it may refer to.
func evalTemplate(t *testing.T, template map[string]any, v any, refs map[string]string) any {
	t.Helper()
	conditions, _ := template["Conditions"].(map[string]any)
	var eval func(v any) any
	eval = func(v any) any {
		switch x := v.(type) {
		case string, bool, float64:
			return x
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = eval(e)
			}
			return out
		case map[string]any:
			if len(x) != 1 {
				break
			}
			for fn, arg := range x {
				switch fn {
				case "Ref":
					if v, ok := refs[arg.(string)]; ok {
						return v
					}
				case "Fn::Join":
					a := arg.([]any)
					var parts []string
					for _, p := range eval(a[1]).([]any) {
						parts = append(parts, p.(string))
					}
					return strings.Join(parts, a[0].(string))
				case "Fn::Split":
					a := arg.([]any)
					var out []any
					for _, p := range strings.Split(eval(a[1]).(string), a[0].(string)) {
						out = append(out, p)
					}
					return out
				case "Fn::If":
					a := arg.([]any)
					if eval(conditions[a[0].(string)]).(bool) {
						return eval(a[1])
					}
					return eval(a[2])
				case "Fn::Equals":
					a := eval(arg).([]any)
					return a[0] == a[1]
				case "Fn::Or":
					for _, c := range eval(arg).([]any) {
						if c.(bool) {
							return true
						}
					}
					return false
				}
			}
		}
		t.Fatalf("cannot evaluate %v", v)
		return nil
	}
	return eval(v)
}

// guardedRegions are the regions a region guard (newRegionGuard: a Deny
// unless aws:RequestedRegion is one of them) admits, deployed with refs;
// nil when the statement is no such guard.
func guardedRegions(t *testing.T, template map[string]any, st map[string]any, refs map[string]string) []string {
	t.Helper()
	cond, _ := st["Condition"].(map[string]any)
	eq, _ := cond["StringNotEquals"].(map[string]any)
	v, ok := eq["aws:RequestedRegion"]
	if st["Effect"] != "Deny" || st["Resource"] != "*" {
		ok = false
	}
	if !ok {
		return nil
	}
	var out []string
	for _, r := range asList(evalTemplate(t, template, v, refs)) {
		out = append(out, r.(string))
	}
	return out
}

// guardedActions are the actions of the Allow statements of sts (by Sid)
// with a resource in an AWS service whose calls are regional, sorted and
// once: what the region guard must deny outside the covered regions.
func guardedActions(sts map[string]map[string]any) []string {
	var out []string
	for _, st := range sts {
		if st["Effect"] != "Allow" {
			continue
		}
		for _, a := range actions(st) {
			if (strings.HasPrefix(a, "rds:") || strings.HasPrefix(a, "securityhub:")) && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkRegionGuard: sts (a role's statements, by Sid) hold every RDS and
// Security Hub action to want, deployed with refs.
func checkRegionGuard(t *testing.T, name string, template map[string]any, sts map[string]map[string]any, refs map[string]string, want []string) {
	t.Helper()
	g := sts["OnlyInCoveredRegions"]
	if g == nil {
		t.Errorf("%s: no OnlyInCoveredRegions", name)
		return
	}
	if got := guardedRegions(t, template, g, refs); !slices.Equal(got, want) {
		t.Errorf("%s (%v): OnlyInCoveredRegions admits %v, want %v", name, refs, got, want)
	}
	if got, want := actions(g), guardedActions(sts); !slices.Equal(got, want) {
		t.Errorf("%s: OnlyInCoveredRegions denies %v, want every RDS and Security Hub action granted, %v", name, got, want)
	}
}

// functionEnv is the function's environment as synthesized.
func functionEnv(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	fns := f.resources("AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("%d functions", len(fns))
	}
	for _, fn := range fns {
		return fn["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	return nil
}
