package rdsevent

import "strings"

// apiCallOrigin is sameOrigin for CloudTrail events: the account and region
// the envelope says the event comes from, which recipientAccountId,
// awsRegion and every ARN naming what forcessl would act on must repeat. A
// forwarded event that names another account or region is ignored, so it
// can never make the engine assume a role somewhere the event did not come
// from. What the envelope lacks, the first record field that says it
// supplies (validate rejects a request that ends up with neither).
//
// ARNs that name a source rather than the resource acted on are not read
// (sourceDBInstanceIdentifier of a cross-region read replica, a shared
// snapshot's ARN): they may rightly be in another region or account.
func apiCallOrigin(env envelope, c apiCall) (account, region string, err error) {
	type claim struct{ what, account, region string }
	claims := []claim{{"recipientAccountId", c.RecipientAccountID, ""}, {"awsRegion", "", c.AWSRegion}}
	arns := []struct{ what, value, kind string }{
		{"requestParameters.dBInstanceIdentifier", c.RequestParameters.DBInstanceIdentifier, "db"},
		{"requestParameters.newDBInstanceIdentifier", c.RequestParameters.NewDBInstanceIdentifier, "db"},
		{"requestParameters.targetDBInstanceIdentifier", c.RequestParameters.TargetDBInstanceIdentifier, "db"},
		{"requestParameters.dBParameterGroupName", c.RequestParameters.DBParameterGroupName, "pg"},
		{"requestParameters.dBClusterIdentifier", c.RequestParameters.DBClusterIdentifier, "cluster"},
		{"requestParameters.newDBClusterIdentifier", c.RequestParameters.NewDBClusterIdentifier, "cluster"},
		{"requestParameters.dBClusterParameterGroupName", c.RequestParameters.DBClusterParameterGroupName, "cluster-pg"},
	}
	if r := c.ResponseElements; r != nil {
		arns = append(arns, struct{ what, value, kind string }{"responseElements.dBInstanceArn", r.DBInstanceArn, "db"},
			struct{ what, value, kind string }{"responseElements.dBClusterArn", r.DBClusterArn, "cluster"})
	}
	for _, a := range arns {
		if !strings.HasPrefix(a.value, "arn:") {
			continue // a name, or absent
		}
		arn, err := parseARN(a.value, a.kind)
		if err != nil {
			return "", "", ignore("%s: %s: %v", c.EventName, a.what, err)
		}
		claims = append(claims, claim{a.what, arn.account, arn.region})
	}

	account, region = env.Account, env.Region
	accountFrom, regionFrom := "the envelope", "the envelope"
	for _, cl := range claims {
		if !agree(&account, &accountFrom, cl.account, cl.what) {
			return "", "", ignore("%s: %s names account %q, %s %q", c.EventName, cl.what, cl.account, accountFrom, account)
		}
		if !agree(&region, &regionFrom, cl.region, cl.what) {
			return "", "", ignore("%s: %s names region %q, %s %q", c.EventName, cl.what, cl.region, regionFrom, region)
		}
	}
	return account, region, nil
}

// agree folds one claim into what is known so far: a claim that says
// nothing agrees, the first that says something is taken (with where it
// came from), a later one must repeat it.
func agree(known, from *string, claim, what string) bool {
	if claim == "" {
		return true
	}
	if *known == "" {
		*known, *from = claim, what
		return true
	}
	return claim == *known
}
