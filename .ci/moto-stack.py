#!/usr/bin/env python3
"""Create the synthesized Lethe stack in moto's CloudFormation (a moto_server on 127.0.0.1) and check the result.

Usage: .ci/moto-stack.py ENDPOINT CDK_OUT [STACK_NAME]

What it does, in order:
  1. publishes the cloud assembly's assets as `cdk deploy` would (each Lambda bundle zipped, each state machine
     definition as is) to the bootstrap bucket the template names, and sets the bootstrap version parameter;
  2. creates the stack from CDK_OUT/<STACK_NAME>.template.json and waits for it;
  3. asserts that every resource of a type moto's CloudFormation supports reached CREATE_COMPLETE, and that every
     other resource is of a type listed in UNSUPPORTED below, with the reason (so a new resource type cannot slip
     past unnoticed); and checks on the template what AWS refuses but moto ignores (an Object Lock default
     retention with both Days and Years);
  4. deletes the stack and creates it again under the same name, as after a `cdk destroy` (or a failed first
     create): what the first stack kept must not collide with what the second creates ("already exists");
  5. writes CDK_OUT/moto-functions.json: each function's deployed environment (as moto resolved it) and its
     bundle directory, for the invocation step (.ci/moto-invoke.ts).

Exit status 0 when every check passed, 1 otherwise; each failure is printed on one line starting with "FAIL".

Adaptations made for moto alone (cdk.out is never changed; moto gets an adapted copy, see adapt_for_moto):
  - AWS::KMS::Key Tags are sent as {TagKey, TagValue}: moto 5.2 reads a key's CloudFormation Tags with the KMS API's
    field names and fails the whole CreateStack (KeyError 'TagKey') on CloudFormation's {Key, Value}.
  - The HMAC secret (AWS::SecretsManager::Secret, which moto's CloudFormation does not create) is created first
    through the Secrets Manager API, with a generated value as CloudFormation would, and the copy's Refs to it are
    replaced by its ARN; unresolved, they would drop the Resource of the policies that grant it (MalformedPolicyDocument).
  - A Ref to an AWS::Events::EventBus is replaced by the bus's Name (what Ref returns on AWS): moto 5.2 resolves it
    to its internal object, and the rule that names the bus fails ('EventBus' object has no attribute 'split').
  - DeletionPolicy RetainExceptOnCreate is sent as Retain: moto 5.2 knows only Retain and would delete, on a stack
    deletion, what AWS keeps, so the redeploy check (step 4) would miss a collision with a kept resource.
  - The bootstrap resources that `cdk bootstrap` makes on AWS (the assets bucket, the /cdk-bootstrap/hnb659fds/version
    parameter) are made here by hand, as CDK's synthesizer expects them.
"""
from __future__ import annotations

import io
import json
import os
import sys
import time
import urllib.request
import zipfile

import boto3

# Types in Lethe's template that moto 5.2's CloudFormation does not create (it skips them, with a warning, and the
# stack still completes); each with why it cannot be checked here. AWS creates them; cfn-lint checks their shape.
UNSUPPORTED = {
    "AWS::CDK::Metadata": "CDK's own analytics record; not a real resource (AWS ignores it too)",
    "AWS::ApiGateway::Account": "moto has no API Gateway account settings (the CloudWatch role ARN)",
    "AWS::ApiGateway::GatewayResponse": "moto's CloudFormation does not implement API Gateway gateway responses",
    "AWS::ApiGateway::Model": "moto's CloudFormation does not implement API Gateway models",
    "AWS::ApiGateway::RequestValidator": "moto's CloudFormation does not implement API Gateway request validators",
    "AWS::ApiGateway::Stage": "moto's CloudFormation does not implement API Gateway stages (the Deployment's stage is not it)",
    "AWS::CloudWatch::Alarm": "moto's CloudFormation does not implement CloudWatch alarms",
    "AWS::S3::BucketPolicy": "moto's CloudFormation does not implement bucket policies",
    "AWS::SNS::TopicPolicy": "moto's CloudFormation does not implement topic policies",
    "AWS::SQS::QueuePolicy": "moto's CloudFormation does not implement queue policies",
    "AWS::Scheduler::Schedule": "moto's CloudFormation does not implement EventBridge Scheduler schedules",
    "AWS::SecretsManager::Secret": "moto's CloudFormation does not implement Secrets Manager secrets",
}

# What moto accepts but does not enforce or model, so a create here proves nothing about it (said, not hidden).
IGNORED_BY_MOTO = [
    "StepFunctions DefinitionS3Location and DefinitionSubstitutions (the state machine is created without reading them)",
    "DynamoDB TimeToLiveSpecification, PointInTimeRecoverySpecification and DeletionProtectionEnabled",
    "S3 ObjectLockConfiguration (not applied at all: a Days-and-Years retention passes here; the template test asserts it)",
    "every IAM policy's effect (policies are stored and their syntax checked, nothing is denied)",
    "KMS key policies (stored, not enforced), and API Gateway authorization (moto's API is not called here)",
]

ACCOUNT = "111111111111"


def adapt_for_moto(template: dict, secret_arns: dict[str, str]) -> dict:
    """The template as moto can read it: see "Adaptations made for moto alone" above. Returns a changed copy."""
    adapted = json.loads(json.dumps(template))
    for resource in adapted["Resources"].values():
        if resource.get("DeletionPolicy") == "RetainExceptOnCreate":
            resource["DeletionPolicy"] = "Retain"
        if resource["Type"] == "AWS::KMS::Key" and "Tags" in resource.get("Properties", {}):
            resource["Properties"]["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in resource["Properties"]["Tags"]]

    literal_refs = dict(secret_arns)
    for logical_id, resource in adapted["Resources"].items():
        if resource["Type"] == "AWS::Events::EventBus":
            literal_refs[logical_id] = resource["Properties"]["Name"]

    def replace(value):
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in literal_refs:
                return literal_refs[value["Ref"]]
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    for logical_id in secret_arns:
        del adapted["Resources"][logical_id]
    return replace(adapted)


def main() -> int:
    endpoint, cdk_out = sys.argv[1], sys.argv[2]
    stack_name = sys.argv[3] if len(sys.argv) > 3 else "Lethe"
    region = os.environ.get("AWS_DEFAULT_REGION", "eu-north-1")
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    client = lambda service: session.client(service, endpoint_url=endpoint)  # noqa: E731

    template_file = os.path.join(cdk_out, f"{stack_name}.template.json")
    with open(template_file, encoding="utf8") as f:
        template = json.load(f)
    with open(os.path.join(cdk_out, f"{stack_name}.assets.json"), encoding="utf8") as f:
        assets = json.load(f)

    failures: list[str] = []
    # A fresh moto: its reset endpoint drops every resource an earlier run made.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=30).read()

    # 1. The bootstrap resources and the assets, as `cdk bootstrap` and `cdk deploy` would publish them.
    s3 = client("s3")
    buckets = set()
    for asset in assets["files"].values():
        for dest in asset["destinations"].values():
            bucket = dest["bucketName"].replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", region)
            if bucket not in buckets:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
                buckets.add(bucket)
            source = os.path.join(cdk_out, asset["source"]["path"])
            if asset["source"].get("packaging") == "zip":
                body = io.BytesIO()
                with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as z:
                    for root, _, files in os.walk(source):
                        for name in files:
                            full = os.path.join(root, name)
                            z.write(full, os.path.relpath(full, source))
                data = body.getvalue()
            else:
                with open(source, "rb") as f:
                    data = f.read()
            s3.put_object(Bucket=bucket, Key=dest["objectKey"], Body=data)
    bootstrap = template.get("Parameters", {}).get("BootstrapVersion", {}).get("Default")
    if bootstrap:
        client("ssm").put_parameter(Name=bootstrap, Value="30", Type="String", Overwrite=True)

    # 2. Create the stack (the template through S3, as it is larger than CreateStack's 51 200-byte TemplateBody).
    cfn = client("cloudformation")
    secrets = client("secretsmanager")
    secret_arns = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::SecretsManager::Secret":
            props = resource.get("Properties", {})
            generate = props.get("GenerateSecretString", {})
            value = secrets.get_random_password(
                PasswordLength=generate.get("PasswordLength", 32), ExcludePunctuation=generate.get("ExcludePunctuation", False)
            )["RandomPassword"]
            secret_arns[logical_id] = secrets.create_secret(Name=f"{stack_name}-{logical_id}", SecretString=value)["ARN"]
    body = json.dumps(adapt_for_moto(template, secret_arns)).encode("utf8")
    s3.put_object(Bucket=sorted(buckets)[0], Key=f"{stack_name}.template.json", Body=body)
    # moto reads a TemplateURL in the virtual-hosted form AWS gives, whatever its own endpoint
    template_url = f"https://{sorted(buckets)[0]}.s3.amazonaws.com/{stack_name}.template.json"

    def create(label: str) -> bool:
        started = time.monotonic()
        try:
            cfn.create_stack(
                StackName=stack_name, TemplateURL=template_url, Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
            )
        except Exception as error:  # moto raises the failing resource's error from CreateStack itself
            failures.append(f"{label}: CreateStack failed: {error}")
            return False
        status = wait()
        print(f"moto: {label}: stack {stack_name} {status} in {time.monotonic() - started:.1f} s")
        if status == "CREATE_COMPLETE":
            return True
        failures.append(f"{label}: stack status {status}, expected CREATE_COMPLETE")
        for event in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]:
            if event.get("ResourceStatus", "").endswith("FAILED"):
                failures.append(f"{label}: {event['LogicalResourceId']} {event['ResourceStatus']}: {event.get('ResourceStatusReason')}")
        return False

    def wait() -> str:
        status = ""
        for _ in range(600):
            stacks = [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"] == stack_name]
            status = stacks[0]["StackStatus"] if stacks else "DELETE_COMPLETE"
            if not status.endswith("_IN_PROGRESS"):
                break
            time.sleep(1)
        return status

    create("create")

    # 3. Every resource moto supports is CREATE_COMPLETE; the others are of a listed type.
    created = {
        r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=stack_name).get("StackResourceSummaries", [])
    }
    supported_count = 0
    skipped: dict[str, int] = {}
    for logical_id, resource in template["Resources"].items():
        kind = resource["Type"]
        if kind in UNSUPPORTED:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        supported_count += 1
        found = created.get(logical_id)
        if found is None:
            failures.append(f"{logical_id} ({kind}) was not created, and {kind} is not listed as unsupported by moto")
        elif found["ResourceStatus"] != "CREATE_COMPLETE":
            failures.append(f"{logical_id} ({kind}) is {found['ResourceStatus']}")
    # What AWS refuses but moto ignores, checked on the template itself (moto does not apply Object Lock at all).
    for logical_id, resource in template["Resources"].items():
        retention = resource.get("Properties", {}).get("ObjectLockConfiguration", {}).get("Rule", {}).get("DefaultRetention")
        if retention is not None and len({"Days", "Years"} & set(retention)) != 1:
            failures.append(f"{logical_id}: Object Lock DefaultRetention {retention} must have exactly one of Days and Years (AWS refuses both)")
    print(f"moto: {supported_count} resources of supported types checked; not created by moto (type: count, why):")
    for kind, count in sorted(skipped.items()):
        print(f"  {kind}: {count} ({UNSUPPORTED[kind]})")
    print("moto accepts but does not model: " + "; ".join(IGNORED_BY_MOTO))

    standing: dict = {}
    # 4. Delete and create again under the same name, as a redeploy after `cdk destroy` does.
    cfn.delete_stack(StackName=stack_name)
    status = wait()
    if status != "DELETE_COMPLETE":
        failures.append(f"delete: stack status {status}, expected DELETE_COMPLETE")
    elif create("redeploy after delete"):
        standing = {
            r["LogicalResourceId"]: r for r in cfn.list_stack_resources(StackName=stack_name).get("StackResourceSummaries", [])
        }

    # 5. The deployed functions (of the stack now standing), for the invocation step.
    lam = client("lambda")
    functions = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function" or logical_id not in standing:
            continue
        name = standing[logical_id]["PhysicalResourceId"]
        config = lam.get_function_configuration(FunctionName=name)
        key = resource["Properties"]["Code"]["S3Key"]
        functions[logical_id] = {
            "name": name,
            "environment": config.get("Environment", {}).get("Variables", {}),
            "bundle": os.path.join(cdk_out, "asset." + key[: -len(".zip")]),
        }
    outputs = (
        {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack_name)["Stacks"][0].get("Outputs", [])}
        if standing
        else {}
    )
    with open(os.path.join(cdk_out, "moto-functions.json"), "w", encoding="utf8") as f:
        json.dump({"functions": functions, "outputs": outputs}, f, indent=1)

    for failure in failures:
        print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
