// Package tripwire is the data behind a detective control: the request
// parameters of the RDS calls forcessl's roles may make (ModifyDBInstance,
// and ModifyDBCluster for clusters) that forcessl itself never sends. IAM
// cannot narrow ModifyDBInstance to the parameter group, so a call by a
// forcessl role that carries any of these keys means the role is being
// used for something else.
//
// Two layers watch it. The CDK app's key-list rules match the CloudTrail
// record of a call that carries any key of Keys (an EventBridge pattern
// cannot say "any key but these"). And every such call by forcessl's roles
// is also routed to the function, whose intake (Check) alerts on any
// request key outside Sent: a key AWS adds to the API later is caught there
// even before it is added to Keys. The lists are data, kept here (pure),
// not derived from the SDK at run time, so a new SDK member does not
// silently widen or narrow the control; a test walks the SDK's input
// structs by reflection and fails on a member that is in neither list.
package tripwire

import (
	"maps"
	"slices"
)

// APICalls are the calls the tripwire watches.
var APICalls = []string{"ModifyDBInstance", "ModifyDBCluster"}

// Request keys are as CloudTrail records them: the API member name with its
// first letter in lower case (the RDS CloudTrail record in the User Guide
// shows dBInstanceIdentifier, dBParameterGroupName,
// preferredMaintenanceWindow).

// instanceKeys are ModifyDBInstance's request parameters that forcessl never
// sends (save the CA, see caKeys): each changes security, availability,
// identity or cost.
var instanceKeys = []string{
	// credentials and identity
	"masterUserPassword", "manageMasterUserPassword", "rotateMasterUserPassword", "masterUserSecretKmsKeyId",
	"masterUserAuthenticationType", "enableIAMDatabaseAuthentication", "domain", "domainIAMRoleName", "domainOu",
	"domainFqdn", "domainAuthSecretArn", "domainDnsIps", "disableDomain", "tdeCredentialArn", "tdeCredentialPassword",
	// network exposure
	"publiclyAccessible", "vpcSecurityGroupIds", "dBSecurityGroups", "dBSubnetGroupName", "networkType", "dBPortNumber",
	"enableCustomerOwnedIp",
	// size, storage, tenancy and cost
	"dBInstanceClass", "allocatedStorage", "maxAllocatedStorage", "storageType", "iops", "storageThroughput", "multiAZ",
	"dedicatedLogVolume", "processorFeatures", "useDefaultProcessorFeatures", "additionalStorageVolumes",
	"dBCapacityReservationIdentifier", "multiTenant", // multiTenant: irreversible
	// engine and maintenance
	"engine", "engineVersion", "engineLifecycleSupport", "allowMajorVersionUpgrade", "autoMinorVersionUpgrade",
	"optionGroupName", "licenseModel", "newDBInstanceIdentifier", "preferredMaintenanceWindow", "promotionTier",
	// backups, deletion and recovery
	"backupRetentionPeriod", "preferredBackupWindow", "deletionProtection", "copyTagsToSnapshot",
	"awsBackupRecoveryPointArn",
	// logging and monitoring
	"cloudwatchLogsExportConfiguration", "monitoringInterval", "monitoringRoleArn", "enablePerformanceInsights",
	"performanceInsightsKMSKeyId", "performanceInsightsRetentionPeriod", "databaseInsightsMode",
	// certificates (forcessl sends the CA itself only when FORCESSL_CA is set)
	"cACertificateIdentifier", "certificateRotationRestart",
	// replication, automation and tags
	"replicaMode", "automationMode", "resumeFullAutomationModeMinutes", "tagSpecifications",
}

// clusterKeys are ModifyDBCluster's. dBInstanceParameterGroupName (which
// moves every member's instance group at a major version upgrade) is one of
// them: forcessl attaches cluster groups only.
var clusterKeys = []string{
	// credentials and identity
	"masterUserPassword", "manageMasterUserPassword", "rotateMasterUserPassword", "masterUserSecretKmsKeyId",
	"masterUserAuthenticationType", "enableIAMDatabaseAuthentication", "domain", "domainIAMRoleName",
	// network exposure
	"vpcSecurityGroupIds", "networkType", "port", "enableHttpEndpoint",
	// size, storage and cost
	"dBClusterInstanceClass", "allocatedStorage", "storageType", "iops", "serverlessV2ScalingConfiguration",
	"scalingConfiguration", "enableLimitlessDatabase",
	// engine and maintenance
	"engineVersion", "engineMode", "allowEngineModeChange", "engineLifecycleSupport", "allowMajorVersionUpgrade",
	"autoMinorVersionUpgrade", "dBInstanceParameterGroupName", "optionGroupName", "newDBClusterIdentifier",
	"preferredMaintenanceWindow",
	// backups, deletion and recovery
	"backupRetentionPeriod", "preferredBackupWindow", "deletionProtection", "copyTagsToSnapshot", "backtrackWindow",
	"awsBackupRecoveryPointArn",
	// logging and monitoring
	"cloudwatchLogsExportConfiguration", "monitoringInterval", "monitoringRoleArn", "enablePerformanceInsights",
	"performanceInsightsKMSKeyId", "performanceInsightsRetentionPeriod", "databaseInsightsMode",
	// certificates: forcessl never changes a cluster's CA
	"cACertificateIdentifier",
	// replication
	"enableGlobalWriteForwarding", "enableLocalWriteForwarding",
}

// Members are the keys whose request value is a structure, or a list of
// structures, with their members as CloudTrail records them (the RDS API's
// ProcessorFeature, ServerlessV2ScalingConfiguration, ScalingConfiguration,
// CloudwatchLogsExportConfiguration, ModifyAdditionalStorageVolume and
// TagSpecification, first letter lower-cased). An EventBridge exists filter
// matches leaves only, so the rules match these by their members.
var Members = map[string][]string{
	"processorFeatures":                 {"name", "value"},
	"serverlessV2ScalingConfiguration":  {"minCapacity", "maxCapacity", "secondsUntilAutoPause"},
	"scalingConfiguration":              {"minCapacity", "maxCapacity", "autoPause", "secondsUntilAutoPause", "timeoutAction", "secondsBeforeTimeout"},
	"cloudwatchLogsExportConfiguration": {"enableLogTypes", "disableLogTypes"},
	"additionalStorageVolumes":          {"volumeName", "allocatedStorage", "iOPS", "maxAllocatedStorage", "setForDelete", "storageThroughput", "storageType"},
	"tagSpecifications":                 {"resourceType", "tags"},
}

// caKeys are the keys forcessl sends itself when it applies a CA change
// (FORCESSL_CA, pkg/apply's SetCA): the CA alone, never
// certificateRotationRestart, which stays watched.
var caKeys = []string{"cACertificateIdentifier"}

// Keys returns the request keys of call forcessl never sends, sorted. With
// appliesCA (FORCESSL_CA set, enforcing) forcessl's own CA change on an
// instance does not trip it; forcessl never changes a cluster's CA, so
// ModifyDBCluster keeps watching it.
func Keys(call string, appliesCA bool) []string {
	var keys []string
	switch call {
	case "ModifyDBInstance":
		keys = instanceKeys
	case "ModifyDBCluster":
		keys = clusterKeys
	}
	var out []string
	for _, k := range keys {
		if call == "ModifyDBInstance" && appliesCA && slices.Contains(caKeys, k) {
			continue
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Sent is what forcessl's own calls carry: nothing outside it appears in
// a request forcessl makes.
func Sent(call string, appliesCA bool) []string {
	out := []string{"applyImmediately"}
	switch call {
	case "ModifyDBInstance":
		out = append(out, "dBInstanceIdentifier", "dBParameterGroupName")
	case "ModifyDBCluster":
		out = append(out, "dBClusterIdentifier", "dBClusterParameterGroupName")
	}
	if appliesCA && call == "ModifyDBInstance" {
		out = append(out, caKeys...)
	}
	return out
}

// Unexpected are the keys of a request of call that forcessl never sends:
// everything outside Sent, whether or not Keys lists it, sorted.
func Unexpected(call string, requestKeys []string, appliesCA bool) []string {
	sent := Sent(call, appliesCA)
	var out []string
	for _, k := range requestKeys {
		if !slices.Contains(sent, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keysOf are a request's keys.
func keysOf(params map[string]any) []string { return slices.Sorted(maps.Keys(params)) }
