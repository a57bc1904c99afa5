package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// rulePattern is one of the engine's event filters, as a rule. slug names
// the member accounts' forwarding rule (memberRuleName).
type rulePattern struct {
	id, slug, description string
	pattern               *awsevents.EventPattern
}

// eventPatterns are the three filters of the events the engine handles,
// from its own lists (pkg/rdsevent), so the function is woken for exactly
// what it acts on. The default-bus rules, the central bus rules and the
// member accounts' forwarding rules all use them; accounts (optional)
// restricts the pattern's account field.
func eventPatterns(accounts []string) []rulePattern {
	var account *[]*string
	if len(accounts) > 0 {
		account = jsii.Strings(accounts...)
	}
	apiCalls := append(slices.Clone(rdsevent.InstanceAPICalls), rdsevent.ParameterGroupAPICalls...)
	return []rulePattern{
		{"InstanceEventsRule", "instance-events", "forcessl: RDS DB instance events that may leave an instance without forced TLS",
			&awsevents.EventPattern{
				Source:     jsii.Strings(rdsevent.SourceRDS),
				DetailType: jsii.Strings(rdsevent.DetailInstance),
				Account:    account,
				Detail:     &map[string]any{"EventID": jsii.Strings(rdsevent.InstanceEventIDs()...)},
			}},
		{"ParameterGroupEventsRule", "parameter-group-events", "forcessl: RDS DB parameter changes",
			&awsevents.EventPattern{
				Source:     jsii.Strings(rdsevent.SourceRDS),
				DetailType: jsii.Strings(rdsevent.DetailParameterGroup),
				Account:    account,
				Detail:     &map[string]any{"EventID": jsii.Strings(rdsevent.ParameterGroupEvent)},
			}},
		{"ApiCallsRule", "api-calls", "forcessl: RDS API calls (via CloudTrail) that create or reconfigure instances and parameter groups",
			&awsevents.EventPattern{
				Source:     jsii.Strings(rdsevent.SourceRDS),
				DetailType: jsii.Strings(rdsevent.DetailAPICall),
				Account:    account,
				Detail: &map[string]any{
					"eventSource": jsii.Strings(rdsevent.CloudTrailSource),
					"eventName":   jsii.Strings(apiCalls...),
				},
			}},
	}
}

// eventSourcesAndTypes are the source and detail-types of the engine's
// event filters, each once, in filter order: what the rules match, so what
// a bus that only forwards to them needs to accept.
func eventSourcesAndTypes() (sources, detailTypes []string) {
	for _, p := range eventPatterns(nil) {
		for _, src := range *p.pattern.Source {
			if !slices.Contains(sources, *src) {
				sources = append(sources, *src)
			}
		}
		for _, t := range *p.pattern.DetailType {
			if !slices.Contains(detailTypes, *t) {
				detailTypes = append(detailTypes, *t)
			}
		}
	}
	return sources, detailTypes
}

// memberRuleName names a member account's forwarding rule: fixed, so the
// forwarding role's trust can name its rules' ARNs exactly and an SCP can
// protect them (infra/scp).
func memberRuleName(p rulePattern) string { return MemberNamePrefix + p.slug }

// newEventRules adds, in scope, one rule per engine event filter on bus
// (nil: the account's default bus), each with its own target from target.
// idPrefix and descriptionSuffix tell rule sets apart; name, when not nil,
// gives each rule a fixed name.
func newEventRules(scope constructs.Construct, idPrefix string, bus awsevents.IEventBus, descriptionSuffix string,
	accounts []string, name func(rulePattern) string, target func() awsevents.IRuleTarget) []awsevents.Rule {
	var rules []awsevents.Rule
	for _, p := range eventPatterns(accounts) {
		var ruleName *string
		if name != nil {
			ruleName = jsii.String(name(p))
		}
		rules = append(rules, awsevents.NewRule(scope, jsii.String(idPrefix+p.id), &awsevents.RuleProps{
			EventBus:     bus,
			RuleName:     ruleName,
			Description:  jsii.String(p.description + descriptionSuffix),
			EventPattern: p.pattern,
			Targets:      &[]awsevents.IRuleTarget{target()},
		}))
	}
	return rules
}
