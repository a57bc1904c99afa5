#!/usr/bin/env python3
"""The Prowler-style audit of an organization, written plainly: for each
account in turn, assume its role (once, as Prowler does: one session per
account, a client per region), then for each region list the instances and
read every page of each instance's parameter groups, sequentially, with
boto3 (the way Prowler's rds_instance_transport_encrypted check works).
Prints one JSON object: wall time, calls made and the compliance of every
instance, keyed account/region/instance."""
import argparse
import json
import time

import boto3

FORCE_SSL = {"sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web", "postgres"}
SECURE_TRANSPORT = {"mysql", "mariadb"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--accounts", required=True)
    ap.add_argument("--regions", required=True)
    ap.add_argument("--own-account", default="123456789012")
    ap.add_argument("--role", default="forcessl-remediation")
    args = ap.parse_args()

    calls = {"n": 0}

    def count(**_):
        calls["n"] += 1

    regions = args.regions.split(",")
    base = dict(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=regions[0])
    start = time.perf_counter()
    results = {}
    for account in args.accounts.split(","):
        session = boto3.Session(**base)
        if account != args.own_account:
            sts = session.client("sts", endpoint_url=args.endpoint)
            sts.meta.events.register("before-call.sts", count)
            creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{args.role}", RoleSessionName="audit")["Credentials"]
            session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=regions[0])
        for region in regions:
            rds = session.client("rds", endpoint_url=args.endpoint, region_name=region)
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
                results[f"{account}/{region}/{db['DBInstanceIdentifier']}"] = compliant
    wall = time.perf_counter() - start
    print(json.dumps({"wall_s": wall, "calls": calls["n"], "compliant": results}))


if __name__ == "__main__":
    main()
