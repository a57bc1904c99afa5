#!/usr/bin/env python3
"""The naive audit, written plainly as a user would: the way Prowler's
rds_instance_transport_encrypted check works. List the instances, then for
each instance read every page of each of its parameter groups, sequentially,
with boto3. Prints one JSON object: wall time, RDS calls, peak RSS and the
compliance of every instance."""
import argparse
import json
import resource
import time

import boto3

FORCE_SSL = {"sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web", "postgres"}
SECURE_TRANSPORT = {"mysql", "mariadb"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--accounts", required=True)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--own-account", default="123456789012")
    args = ap.parse_args()

    calls = {"n": 0}

    def count(**_):
        calls["n"] += 1

    base = dict(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=args.region)
    start = time.perf_counter()
    results = {}
    for account in args.accounts.split(","):
        session = boto3.Session(**base)
        if account != args.own_account:
            creds = session.client("sts", endpoint_url=args.endpoint).assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/forcessl-remediation", RoleSessionName="audit")["Credentials"]
            session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=args.region)
        rds = session.client("rds", endpoint_url=args.endpoint)
        rds.meta.events.register("before-call.rds", count)

        instances = []
        for page in rds.get_paginator("describe_db_instances").paginate():
            instances.extend(page["DBInstances"])
        for db in instances:
            engine = db["Engine"]
            if engine in FORCE_SSL:
                name = "rds.force_ssl"
            elif engine in SECURE_TRANSPORT:
                name = "require_secure_transport"
            else:
                continue
            compliant = False
            for group in db["DBParameterGroups"]:
                pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group["DBParameterGroupName"])
                for page in pages:
                    for p in page["Parameters"]:
                        if p["ParameterName"] == name and p.get("ParameterValue", "0") == "1":
                            compliant = True
            results[f"{account}/{db['DBInstanceIdentifier']}"] = compliant
    wall = time.perf_counter() - start
    print(json.dumps({"wall_s": wall, "rds_calls": calls["n"],
                      "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "compliant": results}))


if __name__ == "__main__":
    main()
