// Package stack holds the constructs of the forcessl deployment and the
// stack that composes them; infra/main.go only reads the context, builds the
// app and synthesizes.
//
//	ForceSSL       the stack: composes the constructs below, writes the function's environment
//	Remediator     the function, its log group, role, dead-letter queue, reboot scheduler, default-bus rules, alarms
//	Notifications  the SNS topic, its KMS key, email and Slack (Chatbot) subscriptions
//	Sweep          the sweep's schedule rule, work queue, dead-letter queue, coverage alarm, event source and grants
//	StateTable     forcessl's memory: the DynamoDB table of pkg/state, and its grant
//	Organization   organization mode: the central bus and its policy, the rules on it, the StackSet
//	Member         the stack the StackSet deploys to every member account and region
//	Tripwire       the detective control: rules on forcessl's roles' calls that carry keys it never sends
//	Dashboard      the CloudWatch dashboard
//
// Settings (settings.go) is the validated context; the function's part of it
// is the engine's own config.Config, read through config.FromMap and written
// back with Config.Env, so the CDK app and the function cannot disagree on a
// variable, a default or a rule.
//
// Logical IDs: the resources that existed before these constructs keep the
// construct IDs and the scope (the stack) they were created with, so their
// CloudFormation logical IDs, and with them the deployed resources, survive.
// A construct that shares its main resource's name holds it as its "Default"
// child (the function, the dashboard), which CDK leaves out of logical IDs.
package stack
