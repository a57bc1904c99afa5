// Package tripwire is the data behind a detective control: the request
// parameters of the RDS calls forcessl's roles may make (ModifyDBInstance,
// and ModifyDBCluster for clusters) that forcessl itself never sends. IAM
// cannot narrow ModifyDBInstance to the parameter group, so a call by a
// forcessl role that carries any of these keys means the role is being
// used for something else: the CDK app alerts on it. The lists are data,
// kept here (pure), not derived from the SDK, so a new SDK member does not
// silently widen or narrow the control.
package tripwire

import "slices"

// APICalls are the calls the tripwire watches.
var APICalls = []string{"ModifyDBInstance", "ModifyDBCluster"}

// sensitive are ModifyDBInstance/ModifyDBCluster request parameters that
// change security, availability or cost, as CloudTrail records them: the
// API member name with its first letter in lower case (the RDS CloudTrail
// record in the User Guide shows dBInstanceIdentifier, dBParameterGroupName,
// preferredMaintenanceWindow).
var sensitive = []string{
	// credentials and identity
	"masterUserPassword", "manageMasterUserPassword", "rotateMasterUserPassword", "masterUserSecretKmsKeyId",
	"enableIAMDatabaseAuthentication", "domain", "domainIAMRoleName", "domainOu", "domainFqdn", "domainAuthSecretArn",
	"domainDnsIps", "disableDomain",
	// network exposure
	"publiclyAccessible", "vpcSecurityGroupIds", "dBSecurityGroups", "dBSubnetGroupName", "networkType", "dBPortNumber",
	"port", "enableCustomerOwnedIp",
	// size, storage and cost
	"dBInstanceClass", "allocatedStorage", "maxAllocatedStorage", "storageType", "iops", "storageThroughput", "multiAZ",
	"dedicatedLogVolume", "processorFeatures", "useDefaultProcessorFeatures", "serverlessV2ScalingConfiguration",
	"dBClusterInstanceClass", "scalingConfiguration",
	// engine and maintenance
	"engineVersion", "allowMajorVersionUpgrade", "autoMinorVersionUpgrade", "dBParameterGroupName", "optionGroupName",
	"licenseModel", "engineMode", "newDBInstanceIdentifier", "newDBClusterIdentifier", "preferredMaintenanceWindow",
	// backups, deletion and recovery
	"backupRetentionPeriod", "preferredBackupWindow", "deletionProtection", "copyTagsToSnapshot", "backtrackWindow",
	"awsBackupRecoveryPointArn",
	// logging and monitoring
	"cloudwatchLogsExportConfiguration", "monitoringInterval", "monitoringRoleArn", "enablePerformanceInsights",
	"performanceInsightsKMSKeyId", "performanceInsightsRetentionPeriod", "databaseInsightsMode",
	// certificates (forcessl sends it itself only when FORCESSL_CA is set)
	"cACertificateIdentifier", "certificateRotationRestart",
	// replication and automation
	"replicaMode", "automationMode", "resumeFullAutomationModeMinutes", "enableHttpEndpoint", "enableGlobalWriteForwarding",
	"enableLocalWriteForwarding",
}

// caKeys are the keys forcessl sends itself when it applies a CA change
// (FORCESSL_CA, pkg/apply's SetCA): the CA alone, never
// certificateRotationRestart, which stays watched.
var caKeys = []string{"cACertificateIdentifier"}

// Keys returns the sensitive request keys, sorted. The parameter group
// keys forcessl does send (dBParameterGroupName on instances,
// dBClusterParameterGroupName on clusters) are not in it for the call that
// sends them; dBParameterGroupName is listed for ModifyDBCluster, where it
// moves every member's instance group. With appliesCA (FORCESSL_CA set)
// forcessl's own CA change on an instance does not trip it; forcessl never
// changes a cluster's CA, so ModifyDBCluster keeps watching those keys.
func Keys(call string, appliesCA bool) []string {
	var out []string
	for _, k := range sensitive {
		if call == "ModifyDBInstance" && (k == "dBParameterGroupName" || appliesCA && slices.Contains(caKeys, k)) {
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
