"""The demo estates as they stand a while later: applied after each estate is built, so a demo run with
`--drift` after a plain one shows every kind of change `cspm-ai diff` reports.

AWS (in the moto account): the bad KMS key now rotates (resolved); the good artifacts bucket lost its
public access block (regressed); a new notebook instance has direct internet access (new failures); the
model behind the shared security group is deleted (resource removed, findings no longer seen); `bad-model`
was deleted and created again under its name with other artifacts, so `bad-endpoint-config` now serves
something else in place (PH-2 FAIL); and a new version of the good model went out properly, as a new model
and a new endpoint config the good endpoint was switched to (PH-2 PASS).

Azure (the recorded answers): one online deployment now serves another model version under the same
deployment (in place, PH-2 FAIL); another endpoint gained a `green` deployment of the new version (PH-2
PASS); and the bad workspace's computes can no longer be listed (403), so they are unreadable, not gone.

Google Cloud (the recorded answers): the private fraud endpoint's deployed model now serves version 2 of its
model under the same deployed model id (in place, PH-2 FAIL); the recommendations endpoint gained a second
deployed model with version 2 beside the first (PH-2 PASS).
"""

from __future__ import annotations

import copy
import json
from typing import Any, Final

import boto3

from moto_fixtures.azure_estate import AzureEstateManifest
from moto_fixtures.estate import EstateManifest

# What each drift changes, for tests and for the demo's story.
DRIFT_NOTEBOOK: Final = "drift-open-notebook"
DELETED_MODEL: Final = "bad-shared-sg-model"
SWAPPED_MODEL: Final = "bad-model"
SWAPPED_ENDPOINT_CONFIG: Final = "bad-endpoint-config"
NEW_VERSION_MODEL: Final = "good-model-v2"
NEW_VERSION_ENDPOINT_CONFIG: Final = "good-endpoint-config-v2"
AZURE_SWAPPED_ENDPOINT: Final = "chat-secure-ep"
AZURE_NEW_VERSION_ENDPOINT: Final = "embed-secure-ep"
AZURE_NEW_DEPLOYMENT: Final = "green"
GCP_SWAPPED_ENDPOINT: Final = "4567890123456789012"
GCP_NEW_VERSION_ENDPOINT: Final = "7890123456789012345"
GCP_NEW_DEPLOYED_MODEL: Final = "3344556677889900113"


def drift_aws_estate(manifest: EstateManifest, session: boto3.Session | None = None) -> None:
    """Change the moto AWS estate `build_aws_estate` made (inside the same mock)."""
    session = session or boto3.Session()
    region = manifest.regions[0]
    kms = session.client("kms", region_name=region)
    s3 = session.client("s3", region_name=region)
    sm = session.client("sagemaker", region_name=region)

    kms.enable_key_rotation(KeyId=manifest.ids["bad_key_arn"])
    s3.delete_public_access_block(Bucket=manifest.ids["good_bucket"])

    role = f"arn:aws:iam::{manifest.account_id}:role/good-inference-role"
    sm.create_notebook_instance(
        NotebookInstanceName=DRIFT_NOTEBOOK,
        InstanceType="ml.t3.medium",
        RoleArn=role,
        DirectInternetAccess="Enabled",
        RootAccess="Enabled",
    )
    sm.delete_model(ModelName=DELETED_MODEL)

    # Patched in place: the same model name, other artifacts, under an endpoint config that did not change.
    swapped = sm.describe_model(ModelName=SWAPPED_MODEL)
    sm.delete_model(ModelName=SWAPPED_MODEL)
    container = dict(swapped["PrimaryContainer"])
    container["ModelDataUrl"] = container["ModelDataUrl"].replace("model.tar.gz", "model-v2.tar.gz")
    sm.create_model(ModelName=SWAPPED_MODEL, ExecutionRoleArn=swapped["ExecutionRoleArn"], PrimaryContainer=container)

    # Released properly: a new model and a new endpoint config, the endpoint switched to it.
    good = sm.describe_model(ModelName="good-model")
    tags = sm.list_tags(ResourceArn=good["ModelArn"])["Tags"]
    sm.create_model(
        ModelName=NEW_VERSION_MODEL,
        ExecutionRoleArn=good["ExecutionRoleArn"],
        PrimaryContainer={
            k: v for k, v in good["PrimaryContainer"].items() if k in ("ModelPackageName", "Environment")
        },
        VpcConfig=good["VpcConfig"],
        EnableNetworkIsolation=good["EnableNetworkIsolation"],
        Tags=tags,
    )
    config = sm.describe_endpoint_config(EndpointConfigName="good-endpoint-config")
    variants = [
        {
            k: v
            for k, v in variant.items()
            if k in ("VariantName", "InitialInstanceCount", "InstanceType", "InitialVariantWeight")
        }
        | {"ModelName": NEW_VERSION_MODEL}
        for variant in config["ProductionVariants"]
    ]
    sm.create_endpoint_config(
        EndpointConfigName=NEW_VERSION_ENDPOINT_CONFIG,
        ProductionVariants=variants,
        KmsKeyId=config["KmsKeyId"],
        DataCaptureConfig=config["DataCaptureConfig"],
        Tags=sm.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"],
    )
    # UpdateEndpoint in AWS; moto has no such call, so the endpoint is made again under its name with the new config.
    endpoint = sm.describe_endpoint(EndpointName="good-endpoint")
    endpoint_tags = sm.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    sm.delete_endpoint(EndpointName="good-endpoint")
    sm.create_endpoint(EndpointName="good-endpoint", EndpointConfigName=NEW_VERSION_ENDPOINT_CONFIG, Tags=endpoint_tags)


def _registered(replay: Any, suffix: str) -> Any:
    for response in replay.registered():
        if response.url.split("?", 1)[0].endswith(suffix):
            return response
    raise LookupError(f"no recorded answer ends with {suffix}")


def _json_of(response: Any) -> Any:
    return json.loads(response.body)


def drift_azure_estate(replay: Any, manifest: AzureEstateManifest) -> None:
    """Change the recorded Azure answers `register_azure_estate` registered on `replay`."""
    swapped = _registered(replay, f"/onlineEndpoints/{AZURE_SWAPPED_ENDPOINT}/deployments")
    body = _json_of(swapped)
    deployment = body["value"][0]["properties"]
    deployment["model"] = deployment["model"].rsplit("/", 1)[0] + "/4"
    swapped.body = json.dumps(body)

    grown = _registered(replay, f"/onlineEndpoints/{AZURE_NEW_VERSION_ENDPOINT}/deployments")
    body = _json_of(grown)
    green = copy.deepcopy(body["value"][0])
    green["id"] = green["id"].rsplit("/", 1)[0] + f"/{AZURE_NEW_DEPLOYMENT}"
    green["name"] = AZURE_NEW_DEPLOYMENT
    green["properties"]["model"] = green["properties"]["model"].rsplit("/", 1)[0] + "/4"
    green["properties"]["description"] = "green deployment"
    body["value"].append(green)
    grown.body = json.dumps(body)

    computes = _registered(replay, f"{manifest.resource_ids['workspace:bad']}/computes")
    computes.status = 403
    computes.body = json.dumps(
        {
            "error": {
                "code": "AuthorizationFailed",
                "message": "The client does not have authorization to perform action "
                "'Microsoft.MachineLearningServices/workspaces/computes/read'.",
            }
        }
    )


def drift_gcp_estate(replay: Any) -> None:
    """Change the Google Cloud estate `register_gcp_estate` answers from (its router's tables)."""
    routers = [r.callback for r in replay.registered() if hasattr(getattr(r, "callback", None), "b")]
    if not routers:
        raise LookupError("no Google Cloud estate is registered")
    endpoints = {
        item["name"].rsplit("/", 1)[1]: item
        for (_, _, collection), items in routers[0].b.vertex.items()
        if collection == "endpoints"
        for item in items
    }
    endpoints[GCP_SWAPPED_ENDPOINT]["deployedModels"][0]["modelVersionId"] = "2"
    grown = endpoints[GCP_NEW_VERSION_ENDPOINT]
    new = copy.deepcopy(grown["deployedModels"][0])
    new.update(id=GCP_NEW_DEPLOYED_MODEL, modelVersionId="2", displayName=f"{new['displayName']}-next")
    grown["deployedModels"].append(new)
