package stack

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/forcessl/forcessl/pkg/rdsevent"
)

// cloudTrailEventSource is the CloudTrail eventSource of RDS API calls.
// pkg/rdsevent checks the same literal when it parses an API call but does
// not export it; this is the CDK app's single copy.
const cloudTrailEventSource = "rds.amazonaws.com"

// rulePattern is one of the engine's event filters, as a rule.
type rulePattern struct {
	id, description string
	pattern         *awsevents.EventPattern
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
		{"InstanceEventsRule", "forcessl: RDS DB instance events that may leave an instance without forced TLS",
			&awsevents.EventPattern{
				Source:     jsii.Strings(rdsevent.SourceRDS),
				DetailType: jsii.Strings(rdsevent.DetailInstance),
				Account:    account,
				Detail:     &map[string]any{"EventID": jsii.Strings(rdsevent.InstanceEventIDs()...)},
			}},
		{"ParameterGroupEventsRule", "forcessl: RDS DB parameter changes",
			&awsevents.EventPattern{
				Source:     jsii.Strings(rdsevent.SourceRDS),
				DetailType: jsii.Strings(rdsevent.DetailParameterGroup),
				Account:    account,
				Detail:     &map[string]any{"EventID": jsii.Strings(rdsevent.ParameterGroupEvent)},
			}},
		{"ApiCallsRule", "forcessl: RDS API calls (via CloudTrail) that create or reconfigure instances and parameter groups",
			&awsevents.EventPattern{
				Source:     jsii.Strings(rdsevent.SourceRDS),
				DetailType: jsii.Strings(rdsevent.DetailAPICall),
				Account:    account,
				Detail: &map[string]any{
					"eventSource": jsii.Strings(cloudTrailEventSource),
					"eventName":   jsii.Strings(apiCalls...),
				},
			}},
	}
}

// newEventRules adds, in scope, one rule per engine event filter on bus
// (nil: the account's default bus), each with its own target from target.
// idPrefix and descriptionSuffix tell rule sets apart.
func newEventRules(scope constructs.Construct, idPrefix string, bus awsevents.IEventBus, descriptionSuffix string,
	accounts []string, target func() awsevents.IRuleTarget) []awsevents.Rule {
	var rules []awsevents.Rule
	for _, p := range eventPatterns(accounts) {
		rules = append(rules, awsevents.NewRule(scope, jsii.String(idPrefix+p.id), &awsevents.RuleProps{
			EventBus:     bus,
			Description:  jsii.String(p.description + descriptionSuffix),
			EventPattern: p.pattern,
			Targets:      &[]awsevents.IRuleTarget{target()},
		}))
	}
	return rules
}
