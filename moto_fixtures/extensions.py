"""Extend moto so it answers the AWS APIs cspm-ai calls with the shapes the real services return."""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import json
import re
import string
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import ModuleType
from typing import Any, TypeVar, cast

from moto.bedrock.exceptions import ResourceNotFoundException as BedrockNotFound
from moto.bedrock.exceptions import ValidationException as BedrockValidation
from moto.bedrock.models import BedrockBackend, ModelCustomizationJob
from moto.bedrock.responses import BedrockResponse
from moto.bedrockagent.exceptions import ResourceNotFoundException as AgentsNotFound
from moto.bedrockagent.exceptions import ValidationException as AgentsValidation
from moto.bedrockagent.models import Agent, AgentsforBedrockBackend, KnowledgeBase
from moto.bedrockagent.responses import AgentsforBedrockResponse
from moto.bedrockagentcorecontrol.models import Gateway, Memory
from moto.ce.models import CostExplorerBackend
from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.core.resource_tagging import TaggedResource
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.core.utils import utcnow
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.exceptions import LimitExceededException as IAMLimitExceeded
from moto.iam.exceptions import ValidationError as IAMValidationError
from moto.iam.models import AWSManagedPolicy, IAMBackend, ManagedPolicy, iam_backends
from moto.iam.responses import IamResponse
from moto.kms.models import KmsBackend, kms_backends
from moto.kms.responses import KmsResponse, _assert_default_policy
from moto.logs.exceptions import InvalidParameterException as LogsInvalidParameter
from moto.logs.responses import LogsResponse
from moto.macie2 import urls as macie_urls
from moto.macie2.exceptions import AccessDeniedException as MacieAccessDenied
from moto.macie2.exceptions import ValidationException as MacieValidation
from moto.macie2.models import MacieBackend
from moto.macie2.responses import MacieResponse
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from moto.organizations.models import FakeDelegatedAdministrator, OrganizationsBackend
from moto.rds.models import DBCluster
from moto.s3.models import PublicAccessBlock, S3Backend, s3_backends
from moto.sagemaker.exceptions import (
    ResourceInUseException,
    ResourceNotFound,
    ValidationError,
)
from moto.sagemaker.models import (
    FakeEndpoint,
    FakeEndpointConfig,
    FakeSagemakerNotebookInstance,
    Model,
    SageMakerModelBackend,
)
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter
from moto.sts.models import STSBackend
from moto.utilities.utils import get_partition

__all__ = ["install", "installed", "uninstall"]

_LOCK = threading.Lock()
# A class attribute, not a module flag, so a re-imported module still sees the patch.
_MARK = "_cspm_ai_extensions"
# What each patch replaced: (class or module, attribute) -> (had its own attribute, previous value).
_ORIGINALS: dict[tuple[type | ModuleType, str], tuple[bool, Any]] = {}
_MARKED: list[type] = []

# Real SageMaker List* calls default to 10 results a page and refuse more than 100.
_SM_DEFAULT_PAGE = 10
_SM_MAX_PAGE = 100
# S3 has encrypted every new bucket with SSE-S3 since January 2023.
_S3_DEFAULT_ENCRYPTION: dict[str, Any] = {
    "Rule": {
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": "false",
    }
}
_MONITOR_DEFINITION_STORES: tuple[tuple[str, str], ...] = (
    ("data_quality_job_definitions", "DataQuality"),
    ("model_quality_job_definitions", "ModelQuality"),
    ("model_bias_job_definitions", "ModelBias"),
    ("model_explainability_job_definitions", "ModelExplainability"),
)


def _install_rds() -> None:
    if not _mark_once(DBCluster):
        return
    _patch(DBCluster, "__init__", _rds_cluster_init)


def install() -> None:
    """Patch moto's SageMaker, Bedrock, AgentCore, Cost Explorer, IAM, KMS, S3, CloudWatch Logs, RDS and Macie
    classes, and what its CloudFormation makes of SageMaker resources; safe to call any number of times."""
    with _LOCK:
        _install_sagemaker_responses()
        _install_sagemaker_backend()
        _install_bedrock()
        _install_bedrock_agents()
        _install_agentcore()
        _install_ce()
        _install_iam()
        _install_kms()
        _install_s3()
        _install_logs()
        _install_rds()
        _install_macie()
        _install_cloudformation()
        _install_sts()


def installed() -> bool:
    """Whether install() has patched moto in this process."""
    return bool(SageMakerResponse.__dict__.get(_MARK, False))


def uninstall() -> None:
    """Restore moto's own classes, so tests can show what moto does without the extensions."""
    with _LOCK:
        for (cls, name), (owned, previous) in list(_ORIGINALS.items()):
            if owned:
                setattr(cls, name, previous)
            else:
                delattr(cls, name)
        _ORIGINALS.clear()
        for cls in _MARKED:
            delattr(cls, _MARK)
        _MARKED.clear()


# --------------------------------------------------------------------------- helpers


def _patch(cls: type | ModuleType, name: str, replacement: Any) -> None:
    _ORIGINALS[(cls, name)] = (name in cls.__dict__, cls.__dict__.get(name))
    setattr(cls, name, replacement)


def _original(cls: type, name: str) -> Callable[..., Any]:
    """moto's own implementation of a patched method (looked up through the MRO if inherited)."""
    owned, previous = _ORIGINALS[(cls, name)]
    if owned:
        return cast(Callable[..., Any], previous)
    for base in cls.__mro__[1:]:
        if name in base.__dict__:
            return cast(Callable[..., Any], base.__dict__[name])
    raise AttributeError(f"{cls.__name__} has no original {name}")


def _mark_once(cls: type) -> bool:
    """Return True (and mark the class) the first time; False when already patched."""
    if cls.__dict__.get(_MARK, False):
        return False
    setattr(cls, _MARK, True)
    _MARKED.append(cls)
    return True


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError(token) from exc
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(token)
    return offset


def _page(
    items: Sequence[Any],
    next_token: str | None,
    max_results: int | None,
    *,
    default: int,
    maximum: int | None,
    error: Callable[[str], Exception],
    token_error: Callable[[str], Exception],
) -> tuple[list[Any], str | None]:
    limit = default if max_results is None else int(max_results)
    if limit < 1:
        raise error(
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1"
        )
    if maximum is not None and limit > maximum:
        raise error(
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {maximum}"
        )
    start = 0
    if next_token:
        try:
            start = _decode_token(next_token)
        except ValueError:
            raise token_error("Invalid pagination token") from None
    end = start + limit
    return list(items[start:end]), (_encode_token(end) if end < len(items) else None)


def _sm_page(items: Sequence[Any], response: SageMakerResponse) -> tuple[list[Any], str | None]:
    return _page(
        items,
        response._get_param("NextToken"),
        response._get_param("MaxResults"),
        default=_SM_DEFAULT_PAGE,
        maximum=_SM_MAX_PAGE,
        error=ValidationError,
        token_error=ValidationError,
    )


def _as_datetime(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _sorted(
    items: Iterable[Any],
    key: Callable[[Any], Any],
    sort_order: str | None,
    default_order: str = "Descending",
) -> list[Any]:
    return sorted(items, key=key, reverse=(sort_order or default_order) == "Descending")


def _time_window(items: Iterable[Any], response: SageMakerResponse, attr: str, prefix: str) -> list[Any]:
    after = _as_datetime(response._get_param(f"{prefix}After"))
    before = _as_datetime(response._get_param(f"{prefix}Before"))
    kept = []
    for item in items:
        stamp = _aware(getattr(item, attr))
        if after is not None and stamp <= after:
            continue
        if before is not None and stamp >= before:
            continue
        kept.append(item)
    return kept


def _set_fields(fake: object, **fields: Any) -> None:
    """Set attributes moto's classes do not type: fields they lack (their describe answers are generated from
    the object's attributes, so a set field is answered), or None where the real API allows a field's absence."""
    for name, value in fields.items():
        setattr(fake, name, value)


def _result_dict(result: ActionResult) -> dict[str, Any]:
    body = result.result
    if not isinstance(body, dict):
        raise TypeError(f"expected a dict result, got {type(body).__name__}")
    return dict(body)


def _find_endpoint_name(document: Any) -> str | None:
    """Depth-first search for EndpointInput.EndpointName in a monitoring job definition."""
    if isinstance(document, dict):
        endpoint_input = document.get("EndpointInput")
        if isinstance(endpoint_input, dict) and endpoint_input.get("EndpointName"):
            return str(endpoint_input["EndpointName"])
        for value in document.values():
            found = _find_endpoint_name(value)
            if found:
                return found
    elif isinstance(document, list):
        for value in document:
            found = _find_endpoint_name(value)
            if found:
                return found
    return None


# --------------------------------------------------------------------------- SageMaker state


class _UserProfile:
    def __init__(
        self,
        account_id: str,
        region_name: str,
        domain_id: str,
        name: str,
        user_settings: dict[str, Any] | None,
        sso_identifier: str | None,
        sso_value: str | None,
        tags: list[dict[str, str]] | None,
        home_uid: int,
    ) -> None:
        self.domain_id = domain_id
        self.name = name
        self.arn = arn_formatter("user-profile", f"{domain_id}/{name}", account_id, region_name)
        self.user_settings = user_settings
        self.sso_identifier = sso_identifier
        self.sso_value = sso_value
        self.tags = list(tags or [])
        self.home_uid = str(home_uid)
        self.status = "InService"
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "DomainId": self.domain_id,
            "UserProfileArn": self.arn,
            "UserProfileName": self.name,
            "HomeEfsFileSystemUid": self.home_uid,
            "Status": self.status,
            "LastModifiedTime": self.last_modified_time,
            "CreationTime": self.creation_time,
        }
        if self.sso_identifier:
            body["SingleSignOnUserIdentifier"] = self.sso_identifier
        if self.sso_value:
            body["SingleSignOnUserValue"] = self.sso_value
        if self.user_settings:
            body["UserSettings"] = self.user_settings
        return body

    def summary(self) -> dict[str, Any]:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.status,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }


class _MonitoringSchedule:
    def __init__(
        self,
        account_id: str,
        region_name: str,
        name: str,
        config: dict[str, Any],
        monitoring_type: str,
        endpoint_name: str | None,
        tags: list[dict[str, str]] | None,
    ) -> None:
        self.name = name
        self.arn = arn_formatter("monitoring-schedule", name, account_id, region_name)
        self.config = config
        self.monitoring_type = monitoring_type
        self.endpoint_name = endpoint_name
        self.tags = list(tags or [])
        self.status = "Scheduled"
        self.creation_time = self.last_modified_time = utcnow()

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "MonitoringScheduleArn": self.arn,
            "MonitoringScheduleName": self.name,
            "MonitoringScheduleStatus": self.status,
            "MonitoringType": self.monitoring_type,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "MonitoringScheduleConfig": self.config,
        }
        if self.endpoint_name:
            body["EndpointName"] = self.endpoint_name
        return body

    def summary(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "MonitoringScheduleName": self.name,
            "MonitoringScheduleArn": self.arn,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "MonitoringScheduleStatus": self.status,
            "MonitoringType": self.monitoring_type,
        }
        if self.endpoint_name:
            body["EndpointName"] = self.endpoint_name
        if self.config.get("MonitoringJobDefinitionName"):
            body["MonitoringJobDefinitionName"] = self.config["MonitoringJobDefinitionName"]
        return body


class _SageMakerState:
    def __init__(self) -> None:
        self.user_profiles: dict[tuple[str, str], _UserProfile] = {}
        self.monitoring_schedules: dict[str, _MonitoringSchedule] = {}
        self.next_home_uid = 200001


_T = TypeVar("_T")


def _backend_state(backend: object, key: str, make: Callable[[], _T]) -> _T:
    """An extension's state for one moto backend, kept in the backend's instance dict so that moto's reset(),
    which empties __dict__, forgets it too."""
    state = backend.__dict__.get(key)
    if state is None:
        state = make()
        backend.__dict__[key] = state
    return cast(_T, state)


def _sm_state(backend: SageMakerModelBackend) -> _SageMakerState:
    return _backend_state(backend, "_cspm_state", _SageMakerState)


def _feature_group(backend: SageMakerModelBackend, name_or_arn: str) -> Any:
    name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    arn = arn_formatter("feature-group", name.lower(), backend.account_id, backend.region_name)
    group = backend.feature_groups.get(arn)
    if group is None:
        raise ResourceNotFound(f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}")
    return group


# --------------------------------------------------------------------------- SageMaker responses


def _sm_create_model(self: SageMakerResponse) -> ActionResult:
    result = _original(SageMakerResponse, "create_model")(self)
    model = self.sagemaker_backend._models[self._get_param("ModelName")]
    # moto hard-codes False; real DescribeModel echoes what CreateModel was given.
    model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
    return result


def _model_description(model: Model) -> dict[str, Any]:
    """A model as real DescribeModel answers: VpcConfig and Containers left out when they were not given."""
    body = dict(model.response_object)
    if not body.get("VpcConfig"):
        body.pop("VpcConfig", None)
    if not body.get("Containers"):
        body.pop("Containers", None)
    body["EnableNetworkIsolation"] = bool(body.get("EnableNetworkIsolation", False))
    return body


def _sm_describe_model(self: SageMakerResponse) -> ActionResult:
    return ActionResult(_model_description(self.sagemaker_backend.describe_model(self._get_param("ModelName"))))


def _sm_search(self: SageMakerResponse) -> ActionResult:
    """Search: moto's, plus the Model resource it lacks. A record is a `ModelDashboardModel` whose `Model` (the
    `Model` data type) holds every field of DescribeModel and the model's Tags (its Endpoints, monitoring
    schedules and model card, all optional, are left out); 10 records a page unless MaxResults (at most 100)."""
    if self._get_param("Resource") != "Model":
        return cast(ActionResult, _original(SageMakerResponse, "search")(self))
    if self._get_param("SearchExpression"):
        raise ValidationError("This fixture's Search of models takes no SearchExpression.")
    models = _sorted(
        self.sagemaker_backend._models.values(), lambda m: _aware(m.creation_time), self._get_param("SortOrder")
    )
    page, token = _sm_page(models, self)
    results = [{"Model": {"Model": {**_model_description(m), "Tags": list(m.tags or [])}}} for m in page]
    body: dict[str, Any] = {"Results": results}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _sm_list_models(self: SageMakerResponse) -> ActionResult:
    models = list(self.sagemaker_backend._models.values())
    name_contains = self._get_param("NameContains")
    if name_contains:
        models = [m for m in models if name_contains in m.model_name]
    models = _time_window(models, self, "creation_time", "CreationTime")
    if self._get_param("SortBy") == "Name":
        models = _sorted(models, lambda m: m.model_name, self._get_param("SortOrder"))
    else:
        models = _sorted(models, lambda m: _aware(m.creation_time), self._get_param("SortOrder"))
    page, token = _sm_page(models, self)
    body: dict[str, Any] = {
        "Models": [{"ModelName": m.model_name, "ModelArn": m.arn, "CreationTime": m.creation_time} for m in page]
    }
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _sm_create_training_job(self: SageMakerResponse) -> ActionResult:
    result = _original(SageMakerResponse, "create_training_job")(self)
    job = self.sagemaker_backend.training_jobs[self._get_param("TrainingJobName")]
    # moto's constructor has no parameter for these, so DescribeTrainingJob lost them.
    _set_fields(job, environment=self._get_param("Environment"), retry_strategy=self._get_param("RetryStrategy"))
    return result


def _sm_create_processing_job(self: SageMakerResponse) -> ActionResult:
    result = _original(SageMakerResponse, "create_processing_job")(self)
    job = self.sagemaker_backend.processing_jobs[self._get_param("ProcessingJobName")]
    _set_fields(
        job,
        environment=self._get_param("Environment"),
        processing_resources=self._get_param("ProcessingResources"),
    )
    return result


def _sm_describe_transform_job(self: SageMakerResponse) -> ActionResult:
    body = _result_dict(_original(SageMakerResponse, "describe_transform_job")(self))
    for key in ("FailureReason", "LabelingJobArn", "AutoMLJobArn"):
        if body.get(key) == "":
            body.pop(key)
    return ActionResult(body)


def _sm_describe_notebook_instance(self: SageMakerResponse) -> ActionResult:
    body = _result_dict(_original(SageMakerResponse, "describe_notebook_instance")(self))
    # Real DescribeNotebookInstance always reports RootAccess; "Enabled" is the service default.
    if not body.get("RootAccess"):
        body["RootAccess"] = "Enabled"
    return ActionResult(body)


def _sm_describe_domain(self: SageMakerResponse) -> ActionResult:
    body = _result_dict(_original(SageMakerResponse, "describe_domain")(self))
    if body.get("FailureReason") == "":
        body.pop("FailureReason")
    # moto invents a boundary group id that does not exist in EC2 ("sg-<domain name>");
    # the real field only exists for RStudio domains, so drop it rather than mislead.
    body.pop("SecurityGroupIdForDomainBoundary", None)
    if body.get("AuthMode") == "IAM":
        body.pop("SingleSignOnManagedApplicationInstanceId", None)
        body.pop("SingleSignOnApplicationArn", None)
    return ActionResult(body)


def _sm_describe_endpoint_config(self: SageMakerResponse) -> ActionResult:
    body = _result_dict(_original(SageMakerResponse, "describe_endpoint_config")(self))
    if not body.get("DataCaptureConfig"):
        body.pop("DataCaptureConfig", None)
    return ActionResult(body)


def _sm_describe_endpoint(self: SageMakerResponse) -> ActionResult:
    body = _result_dict(_original(SageMakerResponse, "describe_endpoint")(self))
    capture = body.get("DataCaptureConfig")
    if not capture:
        body.pop("DataCaptureConfig", None)
    else:
        # DataCaptureConfigSummary requires CaptureStatus and CurrentSamplingPercentage.
        enabled = bool(capture.get("EnableCapture", True))
        body["DataCaptureConfig"] = {
            "EnableCapture": enabled,
            "CaptureStatus": "Started" if enabled else "Stopped",
            "CurrentSamplingPercentage": int(capture.get("InitialSamplingPercentage", 100)),
            "DestinationS3Uri": capture.get("DestinationS3Uri", ""),
            **({"KmsKeyId": capture["KmsKeyId"]} if capture.get("KmsKeyId") else {}),
        }
    return ActionResult(body)


def _sm_create_notebook_instance_lifecycle_config(self: SageMakerResponse) -> ActionResult:
    result = _original(SageMakerResponse, "create_notebook_instance_lifecycle_config")(self)
    config = self.sagemaker_backend.notebook_instance_lifecycle_configurations[
        self._get_param("NotebookInstanceLifecycleConfigName")
    ]
    _set_fields(config, tags=list(self._get_param("Tags") or []))
    return result


def _sm_list_notebook_instance_lifecycle_configs(self: SageMakerResponse) -> ActionResult:
    configs = list(self.sagemaker_backend.notebook_instance_lifecycle_configurations.values())
    name_contains = self._get_param("NameContains")
    if name_contains:
        configs = [c for c in configs if name_contains in c.notebook_instance_lifecycle_config_name]
    configs = _time_window(configs, self, "creation_time", "CreationTime")
    configs = _time_window(configs, self, "last_modified_time", "LastModifiedTime")
    sort_by = self._get_param("SortBy") or "CreationTime"
    keys: dict[str, Callable[[Any], Any]] = {
        "Name": lambda c: c.notebook_instance_lifecycle_config_name,
        "CreationTime": lambda c: _aware(c.creation_time),
        "LastModifiedTime": lambda c: _aware(c.last_modified_time),
    }
    configs = _sorted(configs, keys[sort_by], self._get_param("SortOrder"))
    page, token = _sm_page(configs, self)
    body: dict[str, Any] = {
        "NotebookInstanceLifecycleConfigs": [
            {
                "NotebookInstanceLifecycleConfigName": c.notebook_instance_lifecycle_config_name,
                "NotebookInstanceLifecycleConfigArn": c.arn,
                "CreationTime": c.creation_time,
                "LastModifiedTime": c.last_modified_time,
            }
            for c in page
        ]
    }
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _sm_create_feature_group(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    name = self._get_param("FeatureGroupName")
    online = self._get_param("OnlineStoreConfig")
    offline = self._get_param("OfflineStoreConfig")
    if not online and not offline:
        raise ValidationError(
            "Validation Error: At least one of OnlineStoreConfig and OfflineStoreConfig must be specified."
        )
    # moto's FeatureGroup cannot be built without an offline store, which is optional in
    # the real API; build it with a placeholder and clear it afterwards.
    placeholder = {"S3StorageConfig": {"S3Uri": "s3://cspm-placeholder"}}
    arn = backend.create_feature_group(
        feature_group_name=name,
        record_identifier_feature_name=self._get_param("RecordIdentifierFeatureName"),
        event_time_feature_name=self._get_param("EventTimeFeatureName"),
        feature_definitions=self._get_param("FeatureDefinitions"),
        offline_store_config=offline if offline else placeholder,
        role_arn=self._get_param("RoleArn"),
        tags=self._get_param("Tags"),
    )
    group = backend.feature_groups[arn]
    if not offline:
        _set_fields(group, offline_store_config=None)
    _set_fields(group, online_store_config=online, description=self._get_param("Description"))
    group.tags = list(group.tags or [])
    return ActionResult({"FeatureGroupArn": arn})


def _sm_describe_feature_group(self: SageMakerResponse) -> ActionResult:
    group = _feature_group(self.sagemaker_backend, self._get_param("FeatureGroupName"))
    body = group.describe()
    if group.offline_store_config is None:
        body.pop("OfflineStoreConfig", None)
    else:
        body["OfflineStoreStatus"] = {"Status": "Active"}
    if getattr(group, "online_store_config", None):
        body["OnlineStoreConfig"] = group.online_store_config
    if getattr(group, "description", None):
        body["Description"] = group.description
    return ActionResult(body)


def _sm_list_feature_groups(self: SageMakerResponse) -> ActionResult:
    groups = list(self.sagemaker_backend.feature_groups.values())
    name_contains = self._get_param("NameContains")
    if name_contains:
        groups = [g for g in groups if name_contains in g.feature_group_name]
    if self._get_param("FeatureGroupStatusEquals") not in (None, "Created"):
        groups = []
    offline_status = self._get_param("OfflineStoreStatusEquals")
    if offline_status is not None:
        groups = [
            g
            for g in groups
            if (offline_status == "Active") == (g.offline_store_config is not None)
            and offline_status in ("Active", "Disabled")
        ]
    groups = _time_window(groups, self, "creation_time", "CreationTime")
    sort_by = self._get_param("SortBy") or "CreationTime"
    keys: dict[str, Callable[[Any], Any]] = {
        "Name": lambda g: g.feature_group_name,
        "FeatureGroupStatus": lambda g: "Created",
        "OfflineStoreStatus": lambda g: "Active" if g.offline_store_config is not None else "",
        "CreationTime": lambda g: _aware(g.creation_time),
    }
    groups = _sorted(groups, keys[sort_by], self._get_param("SortOrder"))
    page, token = _sm_page(groups, self)
    summaries = []
    for group in page:
        summary: dict[str, Any] = {
            "FeatureGroupName": group.feature_group_name,
            "FeatureGroupArn": group.arn,
            "CreationTime": group.creation_time,
            "FeatureGroupStatus": "Created",
        }
        if group.offline_store_config is not None:
            summary["OfflineStoreStatus"] = {"Status": "Active"}
        summaries.append(summary)
    body: dict[str, Any] = {"FeatureGroupSummaries": summaries}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _sm_create_user_profile(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    domain_id = self._get_param("DomainId")
    name = self._get_param("UserProfileName")
    if domain_id not in backend.domains:
        raise ResourceNotFound(f"Domain {domain_id} not found.")
    state = _sm_state(backend)
    if (domain_id, name) in state.user_profiles:
        raise ResourceInUseException(
            f"Resource Already Exists: UserProfile with name {name} already exists. Choose a different name."
        )
    profile = _UserProfile(
        account_id=backend.account_id,
        region_name=backend.region_name,
        domain_id=domain_id,
        name=name,
        user_settings=self._get_param("UserSettings"),
        sso_identifier=self._get_param("SingleSignOnUserIdentifier"),
        sso_value=self._get_param("SingleSignOnUserValue"),
        tags=self._get_param("Tags"),
        home_uid=state.next_home_uid,
    )
    state.next_home_uid += 1
    state.user_profiles[(domain_id, name)] = profile
    return ActionResult({"UserProfileArn": profile.arn})


def _user_profile(self: SageMakerResponse) -> _UserProfile:
    domain_id = self._get_param("DomainId")
    name = self._get_param("UserProfileName")
    profile = _sm_state(self.sagemaker_backend).user_profiles.get((domain_id, name))
    if profile is None:
        raise ResourceNotFound(f"User profile {name} does not exist in domain {domain_id}.")
    return profile


def _sm_describe_user_profile(self: SageMakerResponse) -> ActionResult:
    return ActionResult(_user_profile(self).describe())


def _sm_delete_user_profile(self: SageMakerResponse) -> ActionResult:
    profile = _user_profile(self)
    del _sm_state(self.sagemaker_backend).user_profiles[(profile.domain_id, profile.name)]
    return EmptyResult()


def _sm_list_user_profiles(self: SageMakerResponse) -> ActionResult:
    profiles = list(_sm_state(self.sagemaker_backend).user_profiles.values())
    domain_id = self._get_param("DomainIdEquals")
    if domain_id:
        profiles = [p for p in profiles if p.domain_id == domain_id]
    name_contains = self._get_param("UserProfileNameContains")
    if name_contains:
        profiles = [p for p in profiles if name_contains in p.name]
    if self._get_param("SortBy") == "LastModifiedTime":
        profiles = _sorted(profiles, lambda p: _aware(p.last_modified_time), self._get_param("SortOrder"))
    else:
        profiles = _sorted(profiles, lambda p: _aware(p.creation_time), self._get_param("SortOrder"))
    page, token = _sm_page(profiles, self)
    body: dict[str, Any] = {"UserProfiles": [p.summary() for p in page]}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


def _resolve_monitoring_target(backend: SageMakerModelBackend, config: dict[str, Any]) -> tuple[str, str | None]:
    """Return (monitoring type, endpoint name) for a schedule's config."""
    inline = config.get("MonitoringJobDefinition")
    if inline:
        return config.get("MonitoringType") or "DataQuality", _find_endpoint_name(inline)
    definition_name = config.get("MonitoringJobDefinitionName")
    if not definition_name:
        raise ValidationError("Either MonitoringJobDefinition or MonitoringJobDefinitionName must be provided.")
    for store_name, monitoring_type in _MONITOR_DEFINITION_STORES:
        definition = getattr(backend, store_name, {}).get(definition_name)
        if definition is not None:
            if config.get("MonitoringType") and config["MonitoringType"] != monitoring_type:
                raise ValidationError(f"Job definition {definition_name} is not of type {config['MonitoringType']}.")
            return monitoring_type, _find_endpoint_name(definition.response_object)
    raise ResourceNotFound(f"Could not find job definition {definition_name}.")


def _sm_create_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    backend = self.sagemaker_backend
    name = self._get_param("MonitoringScheduleName")
    state = _sm_state(backend)
    if name in state.monitoring_schedules:
        raise ResourceInUseException(f"Monitoring Schedule {name} already exists.")
    config = self._get_param("MonitoringScheduleConfig") or {}
    monitoring_type, endpoint_name = _resolve_monitoring_target(backend, config)
    if endpoint_name is not None and endpoint_name not in backend.endpoints:
        endpoint_arn = arn_formatter("endpoint", endpoint_name, backend.account_id, backend.region_name)
        raise ValidationError(f"Could not find endpoint '{endpoint_arn}'.")
    schedule = _MonitoringSchedule(
        account_id=backend.account_id,
        region_name=backend.region_name,
        name=name,
        config=config,
        monitoring_type=monitoring_type,
        endpoint_name=endpoint_name,
        tags=self._get_param("Tags"),
    )
    state.monitoring_schedules[name] = schedule
    return ActionResult({"MonitoringScheduleArn": schedule.arn})


def _monitoring_schedule(self: SageMakerResponse) -> _MonitoringSchedule:
    name = self._get_param("MonitoringScheduleName")
    schedule = _sm_state(self.sagemaker_backend).monitoring_schedules.get(name)
    if schedule is None:
        raise ResourceNotFound(f"Monitoring Schedule {name} not found.")
    return schedule


def _sm_describe_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    return ActionResult(_monitoring_schedule(self).describe())


def _sm_delete_monitoring_schedule(self: SageMakerResponse) -> ActionResult:
    schedule = _monitoring_schedule(self)
    del _sm_state(self.sagemaker_backend).monitoring_schedules[schedule.name]
    return EmptyResult()


def _sm_list_monitoring_schedules(self: SageMakerResponse) -> ActionResult:
    schedules = list(_sm_state(self.sagemaker_backend).monitoring_schedules.values())
    filters: dict[str, Callable[[_MonitoringSchedule, Any], bool]] = {
        "EndpointName": lambda s, v: s.endpoint_name == v,
        "NameContains": lambda s, v: v in s.name,
        "StatusEquals": lambda s, v: s.status == v,
        "MonitoringTypeEquals": lambda s, v: s.monitoring_type == v,
        "MonitoringJobDefinitionName": lambda s, v: s.config.get("MonitoringJobDefinitionName") == v,
    }
    for param, keep in filters.items():
        value = self._get_param(param)
        if value:
            schedules = [s for s in schedules if keep(s, value)]
    schedules = _time_window(schedules, self, "creation_time", "CreationTime")
    schedules = _time_window(schedules, self, "last_modified_time", "LastModifiedTime")
    sort_by = self._get_param("SortBy") or "CreationTime"
    keys: dict[str, Callable[[Any], Any]] = {
        "Name": lambda s: s.name,
        "Status": lambda s: s.status,
        "CreationTime": lambda s: _aware(s.creation_time),
    }
    schedules = _sorted(schedules, keys[sort_by], self._get_param("SortOrder"))
    page, token = _sm_page(schedules, self)
    body: dict[str, Any] = {"MonitoringScheduleSummaries": [s.summary() for s in page]}
    if token:
        body["NextToken"] = token
    return ActionResult(body)


_SAGEMAKER_RESPONSE_PATCHES: dict[str, Callable[..., Any]] = {
    "create_model": _sm_create_model,
    "describe_model": _sm_describe_model,
    "list_models": _sm_list_models,
    "search": _sm_search,
    "create_training_job": _sm_create_training_job,
    "create_processing_job": _sm_create_processing_job,
    "describe_transform_job": _sm_describe_transform_job,
    "describe_notebook_instance": _sm_describe_notebook_instance,
    "describe_domain": _sm_describe_domain,
    "describe_endpoint_config": _sm_describe_endpoint_config,
    "describe_endpoint": _sm_describe_endpoint,
    "create_notebook_instance_lifecycle_config": _sm_create_notebook_instance_lifecycle_config,
    "list_notebook_instance_lifecycle_configs": _sm_list_notebook_instance_lifecycle_configs,
    "create_feature_group": _sm_create_feature_group,
    "describe_feature_group": _sm_describe_feature_group,
    "list_feature_groups": _sm_list_feature_groups,
    "create_user_profile": _sm_create_user_profile,
    "describe_user_profile": _sm_describe_user_profile,
    "delete_user_profile": _sm_delete_user_profile,
    "list_user_profiles": _sm_list_user_profiles,
    "create_monitoring_schedule": _sm_create_monitoring_schedule,
    "describe_monitoring_schedule": _sm_describe_monitoring_schedule,
    "delete_monitoring_schedule": _sm_delete_monitoring_schedule,
    "list_monitoring_schedules": _sm_list_monitoring_schedules,
}


def _install_sagemaker_responses() -> None:
    if not _mark_once(SageMakerResponse):
        return
    for name, replacement in _SAGEMAKER_RESPONSE_PATCHES.items():
        _patch(SageMakerResponse, name, replacement)


# --------------------------------------------------------------------------- SageMaker backend


def _sm_get_resource_from_arn(self: SageMakerModelBackend, arn: str) -> Any:
    """Find the taggable resource behind an ARN, for ListTags/AddTags/DeleteTags."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or "/" not in parts[5]:
        raise ValidationError(f"Invalid resource ARN: {arn}")
    kind, _, ident = parts[5].partition("/")
    state = _sm_state(self)
    resource: Any
    if kind == "user-profile":
        domain_id, _, name = ident.partition("/")
        resource = state.user_profiles.get((domain_id, name))
    elif kind == "monitoring-schedule":
        resource = state.monitoring_schedules.get(ident)
    elif kind == "feature-group":
        resource = self.feature_groups.get(arn) or self.feature_groups.get(arn.lower())
    elif kind == "model-package":
        resource = self.model_packages.get(arn)
    elif kind == "notebook-instance-lifecycle-config":
        resource = self.notebook_instance_lifecycle_configurations.get(ident)
    else:
        try:
            resource = _original(SageMakerModelBackend, "_get_resource_from_arn")(self, arn)
        except (AttributeError, ValueError, KeyError):
            # moto's lookup crashes on kinds it does not know; the real API says "not found".
            resource = None
    if resource is None:
        raise ValidationError(f"Could not find resource {arn}")
    if getattr(resource, "tags", None) is None:
        resource.tags = []
    return resource


def _sm_iter_tagged_resources(self: SageMakerModelBackend) -> Iterator[TaggedResource]:
    """What the Tagging API's GetResources lists: moto's kinds, and the user profiles and monitoring
    schedules these extensions keep (GetResources reads every SageMaker resource type)."""
    yield from _original(SageMakerModelBackend, "iter_tagged_resources")(self)
    state = _sm_state(self)
    kept: list[tuple[str, _UserProfile | _MonitoringSchedule]] = [
        *(("sagemaker:user-profile", p) for p in state.user_profiles.values()),
        *(("sagemaker:monitoring-schedule", m) for m in state.monitoring_schedules.values()),
    ]
    for resource_type, resource in kept:
        yield TaggedResource(
            arn=resource.arn, tags={t["Key"]: t["Value"] for t in resource.tags}, resource_type=resource_type
        )


def _endpoint_config_arn(self: FakeEndpointConfig) -> str:
    return str(self.endpoint_config_arn)


def _ignore_arn(self: FakeEndpointConfig, value: object) -> None:
    """moto's constructor sets its ARN as a one-element tuple; the property answers the real ARN instead."""


def _install_sagemaker_backend() -> None:
    if not _mark_once(SageMakerModelBackend):
        return
    _patch(SageMakerModelBackend, "_get_resource_from_arn", _sm_get_resource_from_arn)
    _patch(SageMakerModelBackend, "iter_tagged_resources", _sm_iter_tagged_resources)
    # However an endpoint config was made (CreateEndpointConfig, CloudFormation), its ARN is a string, so the
    # Tagging API's GetResources names the resource and not "('arn:...',)".
    _patch(FakeEndpointConfig, "arn", property(_endpoint_config_arn, _ignore_arn))


# --------------------------------------------------------------------------- Cost Explorer


class _AnomalyMonitor:
    def __init__(self, partition: str, account_id: str, spec: dict[str, Any]) -> None:
        today = utcnow().strftime("%Y-%m-%d")
        self.arn = f"arn:{partition}:ce::{account_id}:anomalymonitor/{uuid.uuid4()}"
        self.name = str(spec["MonitorName"])
        self.monitor_type = str(spec["MonitorType"])
        self.dimension = spec.get("MonitorDimension")
        self.specification = spec.get("MonitorSpecification")
        self.creation_date = today
        self.last_updated_date = today

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "MonitorArn": self.arn,
            "MonitorName": self.name,
            "CreationDate": self.creation_date,
            "LastUpdatedDate": self.last_updated_date,
            "MonitorType": self.monitor_type,
            "DimensionalValueCount": 0,
        }
        if self.dimension:
            body["MonitorDimension"] = self.dimension
        if self.specification:
            body["MonitorSpecification"] = self.specification
        return body


def _ce_monitors(backend: CostExplorerBackend) -> dict[str, _AnomalyMonitor]:
    return _backend_state(backend, "_cspm_anomaly_monitors", dict)


def _ce_validation(message: str) -> JsonRESTError:
    return JsonRESTError("ValidationException", message)


def _ce_create_anomaly_monitor(self: CostExplorerResponse) -> str:
    params = json.loads(self.body or "{}")
    spec = params.get("AnomalyMonitor") or {}
    if not spec.get("MonitorName") or spec.get("MonitorType") not in ("DIMENSIONAL", "CUSTOM"):
        raise _ce_validation("AnomalyMonitor requires MonitorName and a MonitorType of DIMENSIONAL or CUSTOM")
    if spec["MonitorType"] == "DIMENSIONAL" and not spec.get("MonitorDimension"):
        raise _ce_validation("MonitorDimension is required for a DIMENSIONAL monitor")
    if spec["MonitorType"] == "CUSTOM" and not spec.get("MonitorSpecification"):
        raise _ce_validation("MonitorSpecification is required for a CUSTOM monitor")
    backend = self.ce_backend
    monitor = _AnomalyMonitor(self.partition, backend.account_id, spec)
    _ce_monitors(backend)[monitor.arn] = monitor
    tags = params.get("ResourceTags")
    if tags:
        backend.tag_resource(monitor.arn, tags)
    return json.dumps({"MonitorArn": monitor.arn})


def _ce_get_anomaly_monitors(self: CostExplorerResponse) -> str:
    params = json.loads(self.body or "{}")
    monitors = _ce_monitors(self.ce_backend)
    wanted = params.get("MonitorArnList") or []
    if wanted:
        missing = [arn for arn in wanted if arn not in monitors]
        if missing:
            raise JsonRESTError("UnknownMonitorException", "Cost anomaly monitor does not exist for the account")
        selected = [monitors[arn] for arn in wanted]
    else:
        selected = list(monitors.values())
    page, token = _page(
        selected,
        params.get("NextPageToken"),
        params.get("MaxResults"),
        default=100,
        maximum=None,
        error=_ce_validation,
        token_error=lambda message: JsonRESTError("InvalidNextTokenException", message),
    )
    body: dict[str, Any] = {"AnomalyMonitors": [m.to_dict() for m in page]}
    if token:
        body["NextPageToken"] = token
    return json.dumps(body)


def _ce_delete_anomaly_monitor(self: CostExplorerResponse) -> str:
    params = json.loads(self.body or "{}")
    monitors = _ce_monitors(self.ce_backend)
    if params.get("MonitorArn") not in monitors:
        raise JsonRESTError("UnknownMonitorException", "Cost anomaly monitor does not exist for the account")
    del monitors[params["MonitorArn"]]
    return json.dumps({})


def _ce_subscriptions(backend: CostExplorerBackend) -> dict[str, dict[str, Any]]:
    return _backend_state(backend, "_cspm_anomaly_subscriptions", dict)


def _ce_create_anomaly_subscription(self: CostExplorerResponse) -> str:
    params = json.loads(self.body or "{}")
    spec = dict(params.get("AnomalySubscription") or {})
    missing = [k for k in ("SubscriptionName", "MonitorArnList", "Subscribers", "Frequency") if not spec.get(k)]
    if missing:
        raise _ce_validation(f"AnomalySubscription requires {', '.join(missing)}")
    if spec["Frequency"] not in ("DAILY", "IMMEDIATE", "WEEKLY"):
        raise _ce_validation("Frequency must be DAILY, IMMEDIATE or WEEKLY")
    if spec["Frequency"] == "IMMEDIATE" and any(s.get("Type") != "SNS" for s in spec["Subscribers"]):
        raise _ce_validation("IMMEDIATE alerts go to SNS topics only")
    backend = self.ce_backend
    monitors = _ce_monitors(backend)
    if any(arn not in monitors for arn in spec["MonitorArnList"]):
        raise JsonRESTError("UnknownMonitorException", "Cost anomaly monitor does not exist for the account")
    arn = f"arn:{self.partition}:ce::{backend.account_id}:anomalysubscription/{uuid.uuid4()}"
    _ce_subscriptions(backend)[arn] = {"SubscriptionArn": arn, "AccountId": backend.account_id, **spec}
    tags = params.get("ResourceTags")
    if tags:
        backend.tag_resource(arn, tags)
    return json.dumps({"SubscriptionArn": arn})


def _ce_get_anomaly_subscriptions(self: CostExplorerResponse) -> str:
    params = json.loads(self.body or "{}")
    selected = list(_ce_subscriptions(self.ce_backend).values())
    if params.get("SubscriptionArnList"):
        selected = [s for s in selected if s["SubscriptionArn"] in params["SubscriptionArnList"]]
    if params.get("MonitorArn"):
        selected = [s for s in selected if params["MonitorArn"] in s["MonitorArnList"]]
    page, token = _page(
        selected,
        params.get("NextPageToken"),
        params.get("MaxResults"),
        default=100,
        maximum=None,
        error=_ce_validation,
        token_error=lambda message: JsonRESTError("InvalidNextTokenException", message),
    )
    body: dict[str, Any] = {"AnomalySubscriptions": page}
    if token:
        body["NextPageToken"] = token
    return json.dumps(body)


def _install_ce() -> None:
    if not _mark_once(CostExplorerResponse):
        return
    _patch(CostExplorerResponse, "create_anomaly_monitor", _ce_create_anomaly_monitor)
    _patch(CostExplorerResponse, "get_anomaly_monitors", _ce_get_anomaly_monitors)
    _patch(CostExplorerResponse, "delete_anomaly_monitor", _ce_delete_anomaly_monitor)
    _patch(CostExplorerResponse, "create_anomaly_subscription", _ce_create_anomaly_subscription)
    _patch(CostExplorerResponse, "get_anomaly_subscriptions", _ce_get_anomaly_subscriptions)


# --------------------------------------------------------------------------- IAM


@functools.cache
def _aws_managed_policy_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return data


def _materialise_aws_policy(backend: IAMBackend, policy_arn: Any) -> None:
    """Load one AWS managed policy on first use, as if moto had loaded them all."""
    if not isinstance(policy_arn, str) or policy_arn in backend.managed_policies:
        return
    prefix = f"arn:{backend.partition}:iam::aws:policy"
    if not policy_arn.startswith(prefix + "/"):
        return
    name = policy_arn.rsplit("/", 1)[1]
    data = _aws_managed_policy_data().get(name)
    if data is None:
        return
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    if policy.arn != policy_arn:
        return
    backend.managed_policies[policy.arn] = policy
    backend.aws_managed_policies.append(policy)


def _iam_lazy(name: str) -> Callable[..., Any]:
    def method(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        _materialise_aws_policy(self, kwargs.get("policy_arn", args[0] if args else None))
        return _original(IAMBackend, name)(self, *args, **kwargs)

    method.__name__ = name
    return method


_GAAD_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def _iam_get_account_authorization_details(self: IamResponse) -> ActionResult:
    # moto ignores MaxItems/Marker and never truncates; page across the four lists in order.
    body = _result_dict(_original(IamResponse, "get_account_authorization_details")(self))
    flat = [(key, item) for key in _GAAD_LISTS for item in body.get(key, [])]
    page, marker = _page(
        flat,
        self._get_param("Marker"),
        self._get_param("MaxItems"),
        default=100,
        maximum=1000,
        error=IAMValidationError,
        token_error=IAMValidationError,
    )
    result: dict[str, Any] = {key: [item for kind, item in page if kind == key] for key in _GAAD_LISTS}
    result["IsTruncated"] = marker is not None
    if marker is not None:
        result["Marker"] = marker
    return ActionResult(result)


def _install_iam() -> None:
    if not _mark_once(IAMBackend):
        return
    # GetAccountAuthorizationDetails serialises ManagedPolicy objects, which have no
    # policy_name/policy_id attributes, so PolicyName and PolicyId went missing.
    _patch(ManagedPolicy, "policy_name", property(lambda policy: policy.name))
    _patch(ManagedPolicy, "policy_id", property(lambda policy: policy.id))
    _patch(ManagedPolicy, "permissions_boundary_usage_count", 0)
    _patch(IamResponse, "get_account_authorization_details", _iam_get_account_authorization_details)
    # Service-specific credentials (Bedrock API keys among them) are not modelled at all.
    _patch(IamResponse, "create_service_specific_credential", _iam_create_service_specific_credential)
    _patch(IamResponse, "list_service_specific_credentials", _iam_list_service_specific_credentials)
    # moto loads AWS managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true (slow,
    # ~1,400 policies per account); without it AdministratorAccess cannot even be attached.
    for name in (
        "attach_role_policy",
        "attach_user_policy",
        "attach_group_policy",
        "get_policy",
        "get_policy_version",
        "list_policy_versions",
    ):
        _patch(IAMBackend, name, _iam_lazy(name))


# --------------------------------------------------------------------------- KMS


def _kms_get_key_policy(self: KmsResponse) -> str:
    # PolicyName is optional in the real API and defaults to "default"; moto requires it.
    key_id = self._get_param("KeyId")
    policy_name = self._get_param("PolicyName") or "default"
    _assert_default_policy(policy_name)
    self._validate_cmk_id(key_id)
    policy = self.kms_backend.get_key_policy(key_id) or "{}"
    return json.dumps({"Policy": policy, "PolicyName": policy_name})


_AWS_MANAGED_ALIAS = re.compile(r"^alias/aws/([a-z0-9-]+)$")


def _aws_managed_key_policy(account_id: str, region: str, service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": (
                        f"Allow access through {service} for all principals in the account "
                        f"that are authorized to use {service}"
                    ),
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "kms:CallerAccount": account_id,
                            "kms:ViaService": f"{service}.{region}.amazonaws.com",
                        }
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                    "Resource": "*",
                },
            ],
        }
    )


def _kms_get_key_id_from_alias(self: KmsBackend, alias_name: str) -> str | None:
    for key in self.keys.values():
        if alias_name in key.aliases:
            return str(key.id)
    match = _AWS_MANAGED_ALIAS.match(alias_name)
    if match is None:
        return None
    # Naming a predefined alias/aws/<service> makes KMS create that AWS managed key. moto only
    # knew a fixed list and marked those keys KeyManager=CUSTOMER.
    service = match.group(1)
    key = self.create_key(
        _aws_managed_key_policy(self.account_id, self.region_name, service),
        "ENCRYPT_DECRYPT",
        "SYMMETRIC_DEFAULT",
        f"Default key that protects my {service} data when no other key is defined",
        None,
    )
    key.key_manager = "AWS"
    # AWS rotates AWS managed keys every year, and GetKeyRotationStatus says so.
    key.key_rotation_status = True
    self.create_alias(key.id, alias_name)
    return str(key.id)


def _install_kms() -> None:
    if not _mark_once(KmsResponse):
        return
    _patch(KmsResponse, "get_key_policy", _kms_get_key_policy)
    _patch(KmsBackend, "get_key_id_from_alias", _kms_get_key_id_from_alias)


# --------------------------------------------------------------------------- S3


def _s3_create_bucket(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
    bucket = _original(S3Backend, "create_bucket")(self, *args, **kwargs)
    # New buckets get SSE-S3 and all four Block Public Access settings (S3 defaults since 2023).
    if bucket.encryption is None:
        bucket.encryption = json.loads(json.dumps(_S3_DEFAULT_ENCRYPTION))
    if bucket.public_access_block is None:
        bucket.public_access_block = PublicAccessBlock("true", "true", "true", "true")
    return bucket


def _s3_delete_bucket_encryption(self: S3Backend, bucket_name: str) -> None:
    # Deleting a bucket's encryption configuration reverts it to SSE-S3; it never goes away.
    self.get_bucket(bucket_name).encryption = json.loads(json.dumps(_S3_DEFAULT_ENCRYPTION))


def _install_s3() -> None:
    if not _mark_once(S3Backend):
        return
    _patch(S3Backend, "create_bucket", _s3_create_bucket)
    _patch(S3Backend, "delete_bucket_encryption", _s3_delete_bucket_encryption)


# --------------------------------------------------------------------------- Bedrock (shared)


def _rest_params(response: BaseResponse) -> dict[str, Any]:
    """A REST-JSON request's parameters (URI, query string and body) parsed by its botocore operation model."""
    response.parse_parameters(response.normalized_request)
    return dict(response.params)


_LOWER = string.ascii_lowercase + string.digits
_UPPER = string.ascii_uppercase + string.digits


def _stable_id(*parts: str, length: int = 12, alphabet: str = _LOWER) -> str:
    """An identifier of the shape AWS gives (12 lower-case alphanumerics for guardrails, profiles and models, 10
    upper-case ones for agents and knowledge bases), drawn from what names the resource: the same estate built
    on two servers gets the same identifiers, as the report comparisons between them need."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def _kms_arn(partition: str, region: str, account: str, key: str) -> str:
    """The ARN Bedrock reports for a key it was given by ARN, id or alias."""
    if key.startswith("arn:"):
        return key
    return f"arn:{partition}:kms:{region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"


class _BedrockState:
    """What moto's Bedrock backend does not model: guardrails, the enforced guardrail configuration,
    application inference profiles, provisioned throughput and imported models."""

    def __init__(self) -> None:
        self.guardrails: dict[str, dict[str, Any]] = {}  # id -> GetGuardrail answer
        self.enforced: list[dict[str, Any]] = []
        self.profiles: dict[str, dict[str, Any]] = {}  # id -> InferenceProfileSummary
        self.throughputs: dict[str, dict[str, Any]] = {}  # name -> ProvisionedModelSummary
        self.imported: dict[str, dict[str, Any]] = {}  # name -> GetImportedModel answer

    def arns(self) -> list[str]:
        return [
            *(g["guardrailArn"] for g in self.guardrails.values()),
            *(p["inferenceProfileArn"] for p in self.profiles.values()),
            *(t["provisionedModelArn"] for t in self.throughputs.values()),
            *(m["modelArn"] for m in self.imported.values()),
        ]


def BedrockConflict(message: str) -> JsonRESTError:  # noqa: N802 (raised like moto's exception classes)
    """Bedrock's ConflictException (a name already taken), which moto's Bedrock does not define."""
    return JsonRESTError("ConflictException", message)


def _bedrock_state(backend: BedrockBackend) -> _BedrockState:
    return _backend_state(backend, "_cspm_state", _BedrockState)


def _bedrock_arn(backend: BedrockBackend, kind: str, ident: str) -> str:
    return f"arn:{backend.partition}:bedrock:{backend.region_name}:{backend.account_id}:{kind}/{ident}"


def _by_identifier(items: dict[str, dict[str, Any]], identifier: str, arn_key: str, what: str) -> dict[str, Any]:
    """An item named by its key (id or name) or by its ARN, or the real ResourceNotFoundException."""
    found = items.get(identifier) or next((i for i in items.values() if i.get(arn_key) == identifier), None)
    if found is None:
        raise BedrockNotFound(f"{what} {identifier} not found")
    return found


def _tag_new(backend: BedrockBackend, arn: str, tags: list[dict[str, str]] | None) -> None:
    if tags:
        backend.tag_resource(arn, tags)


def _bedrock_list_arns(self: BedrockBackend) -> list[str]:
    # Tagging checks the ARN against the resources the backend knows; it knows more now.
    return [*_original(BedrockBackend, "_list_arns")(self), *_bedrock_state(self).arns()]


def _bedrock_job_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _original(ModelCustomizationJob, "__init__")(self, *args, **kwargs)
    # moto invents a key ("<model>-kms-key") for every job, and so for every custom model; the real
    # outputModelKmsKeyArn (and the custom model's modelKmsKeyArn) exist only when a key was given.
    key = self.custom_model_kms_key_id
    self.output_model_kms_key_arn = (
        _kms_arn(self.base_model_arn.split(":")[1], self.region_name, self.account_id, key) if key else None
    )


# --------------------------------------------------------------------------- Bedrock guardrails

# CreateGuardrail's *Config members and the names GetGuardrail answers them under.
_GUARDRAIL_POLICIES = {
    "topicPolicyConfig": ("topicPolicy", {"topicsConfig": "topics", "tierConfig": "tier"}),
    "contentPolicyConfig": ("contentPolicy", {"filtersConfig": "filters", "tierConfig": "tier"}),
    "wordPolicyConfig": ("wordPolicy", {"wordsConfig": "words", "managedWordListsConfig": "managedWordLists"}),
    "sensitiveInformationPolicyConfig": (
        "sensitiveInformationPolicy",
        {"piiEntitiesConfig": "piiEntities", "regexesConfig": "regexes"},
    ),
    "contextualGroundingPolicyConfig": (
        "contextualGroundingPolicy",
        {"filtersConfig": "filters", "tierConfig": "tier"},
    ),
}


def _br_create_guardrail(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrock_backend
    state = _bedrock_state(backend)
    if any(g["name"] == params["name"] for g in state.guardrails.values()):
        raise BedrockConflict(f"Guardrail {params['name']} already exists")
    guardrail_id = _stable_id(backend.account_id, backend.region_name, "guardrail", params["name"])
    now = utcnow()
    guardrail: dict[str, Any] = {
        "name": params["name"],
        "guardrailId": guardrail_id,
        "guardrailArn": _bedrock_arn(backend, "guardrail", guardrail_id),
        "version": "DRAFT",
        "status": "READY",
        "createdAt": now,
        "updatedAt": now,
        "blockedInputMessaging": params["blockedInputMessaging"],
        "blockedOutputsMessaging": params["blockedOutputsMessaging"],
    }
    if params.get("description"):
        guardrail["description"] = params["description"]
    for config_key, (policy_key, members) in _GUARDRAIL_POLICIES.items():
        config = params.get(config_key)
        if config:
            guardrail[policy_key] = {members.get(k, k): v for k, v in config.items()}
    if params.get("kmsKeyId"):
        guardrail["kmsKeyArn"] = _kms_arn(
            backend.partition, backend.region_name, backend.account_id, params["kmsKeyId"]
        )
    state.guardrails[guardrail_id] = guardrail
    _tag_new(backend, guardrail["guardrailArn"], params.get("tags"))
    return ActionResult(
        {"guardrailId": guardrail_id, "guardrailArn": guardrail["guardrailArn"], "version": "DRAFT", "createdAt": now}
    )


def _br_get_guardrail(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    guardrails = _bedrock_state(self.bedrock_backend).guardrails
    return ActionResult(dict(_by_identifier(guardrails, params["guardrailIdentifier"], "guardrailArn", "Guardrail")))


def _br_list_guardrails(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    guardrails = list(_bedrock_state(self.bedrock_backend).guardrails.values())
    if params.get("guardrailIdentifier"):
        guardrails = [
            _by_identifier(
                {g["guardrailId"]: g for g in guardrails}, params["guardrailIdentifier"], "guardrailArn", "Guardrail"
            )
        ]
    page, token = _page(
        guardrails,
        params.get("nextToken"),
        params.get("maxResults"),
        default=1000,
        maximum=1000,
        error=BedrockValidation,
        token_error=BedrockValidation,
    )
    summaries = [
        {
            "id": g["guardrailId"],
            "arn": g["guardrailArn"],
            "status": g["status"],
            "name": g["name"],
            "version": g["version"],
            "createdAt": g["createdAt"],
            "updatedAt": g["updatedAt"],
            **({"description": g["description"]} if g.get("description") else {}),
        }
        for g in page
    ]
    return ActionResult({"guardrails": summaries, **({"nextToken": token} if token else {})})


def _br_put_enforced_guardrail_configuration(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrock_backend
    state = _bedrock_state(backend)
    inference = params["guardrailInferenceConfig"]
    guardrail = _by_identifier(state.guardrails, inference["guardrailIdentifier"], "guardrailArn", "Guardrail")
    now = utcnow()
    caller = f"arn:{backend.partition}:iam::{backend.account_id}:root"
    config: dict[str, Any] = {
        "configId": params.get("configId") or _stable_id(backend.account_id, backend.region_name, "enforced"),
        "guardrailArn": guardrail["guardrailArn"],
        "guardrailId": guardrail["guardrailId"],
        "guardrailVersion": inference["guardrailVersion"],
        "createdAt": now,
        "createdBy": caller,
        "updatedAt": now,
        "updatedBy": caller,
        "owner": "ACCOUNT",
    }
    for key in ("selectiveContentGuarding", "modelEnforcement"):
        if inference.get(key):
            config[key] = inference[key]
    # A region holds one account-level configuration: putting again replaces it.
    state.enforced[:] = [config]
    return ActionResult({"configId": config["configId"], "updatedAt": now, "updatedBy": caller})


def _br_list_enforced_guardrails_configuration(self: BedrockResponse) -> ActionResult:
    return ActionResult({"guardrailsConfig": [dict(c) for c in _bedrock_state(self.bedrock_backend).enforced]})


# --------------------------------------------------------------------------- Bedrock inference profiles

# Cross-region (system-defined) inference profiles route to every region of their geography.
_GEOGRAPHY_REGIONS = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
}
_SYSTEM_PROFILE = re.compile(r"^arn:(aws[a-z-]*):bedrock:[^:]+:\d{12}:inference-profile/(us|eu|apac)\.(.+)$")
_FOUNDATION_MODEL = re.compile(r"^arn:aws[a-z-]*:bedrock:[^:]+::foundation-model/.+$")


def _profile_models(copy_from: str) -> list[dict[str, str]]:
    """The models an application inference profile copies: one foundation model, or every region of a
    system-defined cross-region profile's geography."""
    if _FOUNDATION_MODEL.match(copy_from):
        return [{"modelArn": copy_from}]
    system = _SYSTEM_PROFILE.match(copy_from)
    if system is None:
        raise BedrockValidation(f"modelSource.copyFrom {copy_from} is not a foundation model or inference profile")
    partition, geography, model_id = system.groups()
    return [
        {"modelArn": f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"}
        for region in _GEOGRAPHY_REGIONS[geography]
    ]


def _br_create_inference_profile(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrock_backend
    state = _bedrock_state(backend)
    if any(p["inferenceProfileName"] == params["inferenceProfileName"] for p in state.profiles.values()):
        raise BedrockConflict(f"Inference profile {params['inferenceProfileName']} already exists")
    profile_id = _stable_id(backend.account_id, backend.region_name, "profile", params["inferenceProfileName"])
    now = utcnow()
    profile: dict[str, Any] = {
        "inferenceProfileName": params["inferenceProfileName"],
        "createdAt": now,
        "updatedAt": now,
        "inferenceProfileArn": _bedrock_arn(backend, "application-inference-profile", profile_id),
        "models": _profile_models(params["modelSource"]["copyFrom"]),
        "inferenceProfileId": profile_id,
        "status": "ACTIVE",
        "type": "APPLICATION",
    }
    if params.get("description"):
        profile["description"] = params["description"]
    state.profiles[profile_id] = profile
    _tag_new(backend, profile["inferenceProfileArn"], params.get("tags"))
    return ActionResult({"inferenceProfileArn": profile["inferenceProfileArn"], "status": "ACTIVE"})


def _br_get_inference_profile(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    profiles = _bedrock_state(self.bedrock_backend).profiles
    return ActionResult(
        dict(_by_identifier(profiles, params["inferenceProfileIdentifier"], "inferenceProfileArn", "Inference profile"))
    )


def _br_list_inference_profiles(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    # Only application profiles are modelled; AWS's system-defined catalogue is not.
    wanted = params.get("typeEquals")
    profiles = [p for p in _bedrock_state(self.bedrock_backend).profiles.values() if wanted in (None, p["type"])]
    page, token = _page(
        profiles,
        params.get("nextToken"),
        params.get("maxResults"),
        default=1000,
        maximum=1000,
        error=BedrockValidation,
        token_error=BedrockValidation,
    )
    return ActionResult(
        {"inferenceProfileSummaries": [dict(p) for p in page], **({"nextToken": token} if token else {})}
    )


# --------------------------------------------------------------------------- Bedrock provisioned throughput

_COMMITMENT_DAYS = {"OneMonth": 30, "SixMonths": 182}


def _served_model(backend: BedrockBackend, model_id: str) -> tuple[str, str]:
    """(modelArn, foundationModelArn) of what a provisioned throughput serves: a custom model (by name or
    ARN) or a foundation model (by id or ARN)."""
    for model in backend.custom_models.values():
        if model_id in (model.model_name, model.model_arn):
            return model.model_arn, model.base_model_arn
    if model_id.startswith("arn:") and ":custom-model/" in model_id:
        raise BedrockNotFound(f"Custom model {model_id} not found")
    arn = (
        model_id
        if model_id.startswith("arn:")
        else (f"arn:{backend.partition}:bedrock:{backend.region_name}::foundation-model/{model_id}")
    )
    return arn, arn


def _br_create_provisioned_model_throughput(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrock_backend
    state = _bedrock_state(backend)
    name = params["provisionedModelName"]
    if name in state.throughputs:
        raise BedrockConflict(f"Provisioned model {name} already exists")
    model_arn, foundation_arn = _served_model(backend, params["modelId"])
    now = utcnow()
    throughput: dict[str, Any] = {
        "provisionedModelName": name,
        "provisionedModelArn": _bedrock_arn(
            backend, "provisioned-model", _stable_id(backend.account_id, backend.region_name, "throughput", name)
        ),
        "modelArn": model_arn,
        "desiredModelArn": model_arn,
        "foundationModelArn": foundation_arn,
        "modelUnits": params["modelUnits"],
        "desiredModelUnits": params["modelUnits"],
        "status": "InService",
        "creationTime": now,
        "lastModifiedTime": now,
    }
    if params.get("commitmentDuration"):
        throughput["commitmentDuration"] = params["commitmentDuration"]
        days = _COMMITMENT_DAYS[params["commitmentDuration"]]
        throughput["commitmentExpirationTime"] = now + datetime.timedelta(days=days)
    state.throughputs[name] = throughput
    _tag_new(backend, throughput["provisionedModelArn"], params.get("tags"))
    return ActionResult({"provisionedModelArn": throughput["provisionedModelArn"]})


def _br_get_provisioned_model_throughput(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    throughputs = _bedrock_state(self.bedrock_backend).throughputs
    found = _by_identifier(throughputs, params["provisionedModelId"], "provisionedModelArn", "Provisioned model")
    return ActionResult(dict(found))


def _br_list_provisioned_model_throughputs(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    page, token = _page(
        list(_bedrock_state(self.bedrock_backend).throughputs.values()),
        params.get("nextToken"),
        params.get("maxResults"),
        default=1000,
        maximum=1000,
        error=BedrockValidation,
        token_error=BedrockValidation,
    )
    body = {"provisionedModelSummaries": [dict(t) for t in page], **({"nextToken": token} if token else {})}
    return ActionResult(body)


# --------------------------------------------------------------------------- Bedrock imported models


def _br_create_model_import_job(self: BedrockResponse) -> ActionResult:
    """The import completes at once: the imported model exists when the call returns."""
    params = _rest_params(self)
    backend = self.bedrock_backend
    state = _bedrock_state(backend)
    name = params["importedModelName"]
    if name in state.imported:
        raise BedrockConflict(f"Imported model {name} already exists")
    job_arn = _bedrock_arn(
        backend, "model-import-job", _stable_id(backend.account_id, backend.region_name, "import", params["jobName"])
    )
    model: dict[str, Any] = {
        "modelArn": _bedrock_arn(
            backend, "imported-model", _stable_id(backend.account_id, backend.region_name, "imported", name)
        ),
        "modelName": name,
        "jobName": params["jobName"],
        "jobArn": job_arn,
        "modelDataSource": params["modelDataSource"],
        "creationTime": utcnow(),
        "modelArchitecture": "llama3",
        "instructSupported": True,
        "customModelUnits": {"customModelUnitsPerModelCopy": 1, "customModelUnitsVersion": "1.0"},
    }
    if params.get("importedModelKmsKeyId"):
        model["modelKmsKeyArn"] = _kms_arn(
            backend.partition, backend.region_name, backend.account_id, params["importedModelKmsKeyId"]
        )
    state.imported[name] = model
    _tag_new(backend, model["modelArn"], params.get("importedModelTags"))
    return ActionResult({"jobArn": job_arn})


def _br_get_imported_model(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    imported = _bedrock_state(self.bedrock_backend).imported
    return ActionResult(dict(_by_identifier(imported, params["modelIdentifier"], "modelArn", "Imported model")))


def _br_list_imported_models(self: BedrockResponse) -> ActionResult:
    params = _rest_params(self)
    page, token = _page(
        list(_bedrock_state(self.bedrock_backend).imported.values()),
        params.get("nextToken"),
        params.get("maxResults"),
        default=1000,
        maximum=1000,
        error=BedrockValidation,
        token_error=BedrockValidation,
    )
    summaries = [
        {k: m[k] for k in ("modelArn", "modelName", "creationTime", "instructSupported", "modelArchitecture")}
        for m in page
    ]
    return ActionResult({"modelSummaries": summaries, **({"nextToken": token} if token else {})})


_BEDROCK_RESPONSE_PATCHES: dict[str, Callable[..., Any]] = {
    "create_guardrail": _br_create_guardrail,
    "get_guardrail": _br_get_guardrail,
    "list_guardrails": _br_list_guardrails,
    "put_enforced_guardrail_configuration": _br_put_enforced_guardrail_configuration,
    "list_enforced_guardrails_configuration": _br_list_enforced_guardrails_configuration,
    "create_inference_profile": _br_create_inference_profile,
    "get_inference_profile": _br_get_inference_profile,
    "list_inference_profiles": _br_list_inference_profiles,
    "create_provisioned_model_throughput": _br_create_provisioned_model_throughput,
    "get_provisioned_model_throughput": _br_get_provisioned_model_throughput,
    "list_provisioned_model_throughputs": _br_list_provisioned_model_throughputs,
    "create_model_import_job": _br_create_model_import_job,
    "get_imported_model": _br_get_imported_model,
    "list_imported_models": _br_list_imported_models,
}


def _install_bedrock() -> None:
    if not _mark_once(BedrockResponse):
        return
    for name, replacement in _BEDROCK_RESPONSE_PATCHES.items():
        _patch(BedrockResponse, name, replacement)
    _patch(BedrockBackend, "_list_arns", _bedrock_list_arns)
    _patch(ModelCustomizationJob, "__init__", _bedrock_job_init)


# --------------------------------------------------------------------------- Agents for Bedrock


class _AgentsState:
    """What moto's Agents for Bedrock backend drops or lacks: an agent's guardrail and memory settings,
    action groups, and knowledge base data sources."""

    def __init__(self) -> None:
        self.agent_fields: dict[str, dict[str, Any]] = {}  # agent id -> GetAgent fields moto drops
        self.action_groups: dict[str, dict[str, dict[str, Any]]] = {}  # agent id -> group id -> answer
        self.data_sources: dict[str, dict[str, dict[str, Any]]] = {}  # knowledge base id -> source id -> answer


def _agents_state(backend: AgentsforBedrockBackend) -> _AgentsState:
    return _backend_state(backend, "_cspm_state", _AgentsState)


# GetAgent members CreateAgent accepts and moto's Agent does not keep.
_AGENT_FIELDS = ("guardrailConfiguration", "memoryConfiguration", "agentCollaboration", "orchestrationType")
# The service's idle session timeout when CreateAgent is given none (GetAgent always reports one).
_DEFAULT_IDLE_SESSION_TTL = 600


def _ag_create_agent(self: AgentsforBedrockResponse) -> str:
    body = json.loads(_original(AgentsforBedrockResponse, "create_agent")(self))
    params = json.loads(self.body)
    agent = self.bedrockagent_backend.agents[body["agent"]["agentId"]]
    if agent.idle_session_ttl_in_seconds is None:
        agent.idle_session_ttl_in_seconds = _DEFAULT_IDLE_SESSION_TTL
    fields = {k: params[k] for k in _AGENT_FIELDS if params.get(k)}
    _agents_state(self.bedrockagent_backend).agent_fields[agent.agent_id] = fields
    return json.dumps({"agent": {**agent.to_dict(), **fields}})


def _ag_get_agent(self: AgentsforBedrockResponse) -> str:
    body = json.loads(_original(AgentsforBedrockResponse, "get_agent")(self))
    fields = _agents_state(self.bedrockagent_backend).agent_fields.get(body["agent"]["agentId"], {})
    return json.dumps({"agent": {**body["agent"], **fields}})


def _agent_exists(backend: AgentsforBedrockBackend, agent_id: str) -> None:
    if agent_id not in backend.agents:
        raise AgentsNotFound(f"Agent {agent_id} not found")


def _ag_create_agent_action_group(self: AgentsforBedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrockagent_backend
    _agent_exists(backend, params["agentId"])
    groups = _agents_state(backend).action_groups.setdefault(params["agentId"], {})
    now = utcnow()
    group: dict[str, Any] = {
        "agentId": params["agentId"],
        "agentVersion": "DRAFT",
        "actionGroupId": _stable_id(params["agentId"], params["actionGroupName"], length=10, alphabet=_UPPER),
        "actionGroupName": params["actionGroupName"],
        "createdAt": now,
        "updatedAt": now,
        "actionGroupState": params.get("actionGroupState") or "ENABLED",
    }
    keys = (
        "clientToken",
        "description",
        "actionGroupExecutor",
        "apiSchema",
        "functionSchema",
        "parentActionGroupSignature",
    )
    for key in keys:
        if params.get(key):
            group["parentActionSignature" if key == "parentActionGroupSignature" else key] = params[key]
    groups[group["actionGroupId"]] = group
    return ActionResult({"agentActionGroup": group})


def _ag_get_agent_action_group(self: AgentsforBedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrockagent_backend
    _agent_exists(backend, params["agentId"])
    group = _agents_state(backend).action_groups.get(params["agentId"], {}).get(params["actionGroupId"])
    if group is None:
        raise AgentsNotFound(f"Action group {params['actionGroupId']} not found")
    return ActionResult({"agentActionGroup": group})


def _ag_list_agent_action_groups(self: AgentsforBedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrockagent_backend
    _agent_exists(backend, params["agentId"])
    groups = list(_agents_state(backend).action_groups.get(params["agentId"], {}).values())
    page, token = _page(
        groups,
        params.get("nextToken"),
        params.get("maxResults"),
        default=1000,
        maximum=1000,
        error=AgentsValidation,
        token_error=AgentsValidation,
    )
    summaries = [
        {k: g[k] for k in ("actionGroupId", "actionGroupName", "actionGroupState", "updatedAt")}
        | ({"description": g["description"]} if g.get("description") else {})
        for g in page
    ]
    return ActionResult({"actionGroupSummaries": summaries, **({"nextToken": token} if token else {})})


def _knowledge_base_exists(backend: AgentsforBedrockBackend, knowledge_base_id: str) -> None:
    if knowledge_base_id not in backend.knowledge_bases:
        raise AgentsNotFound(f"Knowledge base {knowledge_base_id} not found")


def _ag_create_data_source(self: AgentsforBedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrockagent_backend
    _knowledge_base_exists(backend, params["knowledgeBaseId"])
    now = utcnow()
    source: dict[str, Any] = {
        "knowledgeBaseId": params["knowledgeBaseId"],
        "dataSourceId": _stable_id(params["knowledgeBaseId"], params["name"], length=10, alphabet=_UPPER),
        "name": params["name"],
        "status": "AVAILABLE",
        "dataSourceConfiguration": params["dataSourceConfiguration"],
        "createdAt": now,
        "updatedAt": now,
    }
    for key in (
        "description",
        "serverSideEncryptionConfiguration",
        "vectorIngestionConfiguration",
        "dataDeletionPolicy",
    ):
        if params.get(key):
            source[key] = params[key]
    _agents_state(backend).data_sources.setdefault(params["knowledgeBaseId"], {})[source["dataSourceId"]] = source
    return ActionResult({"dataSource": source})


def _ag_get_data_source(self: AgentsforBedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrockagent_backend
    _knowledge_base_exists(backend, params["knowledgeBaseId"])
    source = _agents_state(backend).data_sources.get(params["knowledgeBaseId"], {}).get(params["dataSourceId"])
    if source is None:
        raise AgentsNotFound(f"Data source {params['dataSourceId']} not found")
    return ActionResult({"dataSource": source})


def _ag_list_data_sources(self: AgentsforBedrockResponse) -> ActionResult:
    params = _rest_params(self)
    backend = self.bedrockagent_backend
    _knowledge_base_exists(backend, params["knowledgeBaseId"])
    sources = list(_agents_state(backend).data_sources.get(params["knowledgeBaseId"], {}).values())
    page, token = _page(
        sources,
        params.get("nextToken"),
        params.get("maxResults"),
        default=1000,
        maximum=1000,
        error=AgentsValidation,
        token_error=AgentsValidation,
    )
    summaries = [
        {k: s[k] for k in ("knowledgeBaseId", "dataSourceId", "name", "status", "updatedAt")}
        | ({"description": s["description"]} if s.get("description") else {})
        for s in page
    ]
    return ActionResult({"dataSourceSummaries": summaries, **({"nextToken": token} if token else {})})


def _agent_init(self: Agent, *args: Any, **kwargs: Any) -> None:
    _original(Agent, "__init__")(self, *args, **kwargs)
    # moto names an agent "<name><8 hex>"; Bedrock gives 10 upper-case alphanumerics.
    self.agent_id = _stable_id(self.account_id, self.region_name, "agent", self.agent_name, length=10, alphabet=_UPPER)
    self.agent_arn = (
        f"arn:{get_partition(self.region_name)}:bedrock:{self.region_name}:{self.account_id}:agent/{self.agent_id}"
    )


def _knowledge_base_init(self: KnowledgeBase, *args: Any, **kwargs: Any) -> None:
    _original(KnowledgeBase, "__init__")(self, *args, **kwargs)
    self.knowledge_base_id = _stable_id(
        self.account_id, self.region_name, "knowledge-base", self.name, length=10, alphabet=_UPPER
    )
    partition = get_partition(self.region_name)
    self.knowledge_base_arn = (
        f"arn:{partition}:bedrock:{self.region_name}:{self.account_id}:knowledge-base/{self.knowledge_base_id}"
    )


_AGENTS_RESPONSE_PATCHES: dict[str, Callable[..., Any]] = {
    "create_agent": _ag_create_agent,
    "get_agent": _ag_get_agent,
    "create_agent_action_group": _ag_create_agent_action_group,
    "get_agent_action_group": _ag_get_agent_action_group,
    "list_agent_action_groups": _ag_list_agent_action_groups,
    "create_data_source": _ag_create_data_source,
    "get_data_source": _ag_get_data_source,
    "list_data_sources": _ag_list_data_sources,
}


def _install_bedrock_agents() -> None:
    if not _mark_once(AgentsforBedrockResponse):
        return
    for name, replacement in _AGENTS_RESPONSE_PATCHES.items():
        _patch(AgentsforBedrockResponse, name, replacement)
    _patch(Agent, "__init__", _agent_init)
    _patch(KnowledgeBase, "__init__", _knowledge_base_init)


# --------------------------------------------------------------------------- Bedrock AgentCore


def _gateway_init(self: Gateway, *args: Any, **kwargs: Any) -> None:
    _original(Gateway, "__init__")(self, *args, **kwargs)
    # moto draws 10 random hex digits; AgentCore names a gateway "<name>-<10 lower-case alphanumerics>".
    suffix = _stable_id(self.account_id, self.region_name, "gateway", self.name, length=10)
    self.gateway_id = f"{self.name}-{suffix}"
    partition = get_partition(self.region_name)
    prefix = f"arn:{partition}:bedrock-agentcore:{self.region_name}:{self.account_id}"
    self.gateway_arn = f"{prefix}:gateway/{self.gateway_id}"
    self.gateway_url = f"https://{self.gateway_id}.gateway.bedrock-agentcore.{self.region_name}.amazonaws.com/mcp"
    self.workload_identity_details = {
        "workloadIdentityArn": f"{prefix}:workload-identity-directory/default/workload-identity/{self.gateway_id}"
    }


def _memory_init(self: Memory, *args: Any, **kwargs: Any) -> None:
    _original(Memory, "__init__")(self, *args, **kwargs)
    # AgentCore names a memory "<name>-<10 alphanumerics>".
    suffix = _stable_id(
        self.account_id, self.region_name, "memory", self.name, length=10, alphabet=string.ascii_letters
    )
    self.memory_id = f"{self.name}-{suffix}"
    partition = get_partition(self.region_name)
    self.memory_arn = f"arn:{partition}:bedrock-agentcore:{self.region_name}:{self.account_id}:memory/{self.memory_id}"


def _install_agentcore() -> None:
    if not _mark_once(Gateway):
        return
    _patch(Gateway, "__init__", _gateway_init)
    _patch(Memory, "__init__", _memory_init)


# --------------------------------------------------------------------------- IAM service-specific credentials

# The services IAM issues service-specific credentials for; only Bedrock's (API keys) expire.
_CREDENTIAL_SERVICES = ("bedrock.amazonaws.com", "cassandra.amazonaws.com", "codecommit.amazonaws.com")
_CREDENTIALS_PER_SERVICE = 2


def _iam_credentials(backend: IAMBackend) -> list[dict[str, Any]]:
    return _backend_state(backend, "_cspm_service_credentials", list)


def _iam_credential_listing(credential: dict[str, Any]) -> dict[str, Any]:
    """A credential as ListServiceSpecificCredentials shows it: no secret, and Expired once past its date."""
    listed = {k: v for k, v in credential.items() if k not in ("ServicePassword", "ServiceCredentialSecret")}
    expires = credential.get("ExpirationDate")
    if expires is not None and expires <= utcnow():
        listed["Status"] = "Expired"
    return listed


def _iam_create_service_specific_credential(self: IamResponse) -> ActionResult:
    user_name, service = self._get_param("UserName"), self._get_param("ServiceName")
    user = self.backend.get_user(user_name)  # NoSuchEntity for an unknown user, as IAM answers
    if service not in _CREDENTIAL_SERVICES:
        raise IAMValidationError(f"No such service {service} is supported for Service-Specific Credentials")
    credentials = _iam_credentials(self.backend)
    if sum(1 for c in credentials if (c["UserName"], c["ServiceName"]) == (user_name, service)) >= 2:
        raise IAMLimitExceeded(
            f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {_CREDENTIALS_PER_SERVICE}"
        )
    now = utcnow()
    credential: dict[str, Any] = {
        "CreateDate": now,
        "ServiceName": service,
        "ServiceSpecificCredentialId": "ACCA" + uuid.uuid4().hex[:17].upper(),
        "UserName": user.name,
        "Status": "Active",
    }
    if service == "bedrock.amazonaws.com":
        suffix = uuid.uuid4().hex[:4]
        credential["ServiceCredentialAlias"] = f"BedrockAPIKey-{suffix}-at-{self.backend.account_id}"
        secret = f"{credential['ServiceCredentialAlias']}:{base64.b64encode(uuid.uuid4().bytes * 2).decode()}"
        credential["ServiceCredentialSecret"] = "ABSK" + base64.b64encode(secret.encode()).decode()
        days = self._get_param("CredentialAgeDays")
        if days is not None:
            credential["ExpirationDate"] = now + datetime.timedelta(days=int(days))
    else:
        credential["ServiceUserName"] = f"{user.name}-at-{self.backend.account_id}"
        credential["ServicePassword"] = base64.b64encode(uuid.uuid4().bytes * 2).decode()
    credentials.append(credential)
    return ActionResult({"ServiceSpecificCredential": dict(credential)})


def _iam_list_service_specific_credentials(self: IamResponse) -> ActionResult:
    user_name, service = self._get_param("UserName"), self._get_param("ServiceName")
    all_users = self._get_param("AllUsers") in (True, "true")
    if user_name and all_users:
        raise IAMValidationError("UserName cannot be specified together with AllUsers")
    if user_name:
        self.backend.get_user(user_name)
    found = [
        _iam_credential_listing(c)
        for c in _iam_credentials(self.backend)
        if (all_users or not user_name or c["UserName"] == user_name) and service in (None, c["ServiceName"])
    ]
    return ActionResult({"ServiceSpecificCredentials": found, "IsTruncated": False})


# --------------------------------------------------------------------------- CloudWatch Logs


def _logs_describe_log_groups(self: LogsResponse) -> Any:
    identifiers = self._get_param("logGroupIdentifiers")
    if not identifiers:
        return _original(LogsResponse, "describe_log_groups")(self)
    if self._get_param("logGroupNamePrefix") or self._get_param("logGroupNamePattern"):
        raise LogsInvalidParameter(msg="logGroupIdentifiers cannot be combined with a name prefix or pattern")
    # Outside a monitoring account the identifiers are log group names (ARNs are accepted as well).
    groups = [
        group.to_describe_dict()
        for group in self.logs_backend.groups.values()
        if group.name in identifiers or group.arn in identifiers
    ]
    return json.dumps({"logGroups": groups})


def _install_logs() -> None:
    if not _mark_once(LogsResponse):
        return
    _patch(LogsResponse, "describe_log_groups", _logs_describe_log_groups)


# --------------------------------------------------------------------------- RDS


def _rds_cluster_init(self: DBCluster, *args: Any, **kwargs: Any) -> None:
    _original(DBCluster, "__init__")(self, *args, **kwargs)
    # moto names every cluster's key "default_kms_key_id". DescribeDBClusters omits KmsKeyId for an unencrypted
    # cluster, and names the AWS managed key aws/rds for one encrypted without a key of its own.
    if not self.storage_encrypted:
        self.kms_key_id = None  # type: ignore[assignment]  # moto types it str; the real field is optional
    elif self.kms_key_id == "default_kms_key_id":
        backend = self.backend
        kms = kms_backends[backend.account_id][backend.region_name]
        key_id = kms.get_key_id_from_alias("alias/aws/rds")
        self.kms_key_id = f"arn:{backend.partition}:kms:{backend.region_name}:{backend.account_id}:key/{key_id}"


# --------------------------------------------------------------------------- Amazon Macie


class _MacieNotEnabled(MacieAccessDenied):
    """What every Macie call answers where Macie is off (a 401 AccessDeniedException, "Macie is not enabled.").
    moto enables Macie in every region of a new account; a real account starts with it off."""

    code = 401

    def __init__(self) -> None:
        super().__init__("Macie is not enabled.")


class _MacieState:
    """What moto's Macie backend lacks: classification jobs and the automated sensitive data discovery status."""

    def __init__(self) -> None:
        self.jobs: list[dict[str, Any]] = []
        self.automated_discovery = "DISABLED"


def _macie_state(backend: MacieBackend) -> _MacieState:
    return _backend_state(backend, "_cspm_state", _MacieState)


def _macie_backend_init(self: MacieBackend, *args: Any, **kwargs: Any) -> None:
    _original(MacieBackend, "__init__")(self, *args, **kwargs)
    self.macie_session = None


def _macie_enabled(response: MacieResponse) -> MacieBackend:
    backend = response.macie_backend
    if backend.macie_session is None:
        raise _MacieNotEnabled()
    return backend


def _macie_get_macie_session(self: MacieResponse) -> str:
    _macie_enabled(self)
    return str(_original(MacieResponse, "get_macie_session")(self))


def _macie_iso(value: datetime.datetime) -> str:
    return _aware(value).isoformat().replace("+00:00", "Z")


def _macie_create_classification_job(self: MacieResponse) -> str:
    backend = _macie_enabled(self)
    params = _rest_params(self)
    definition = params.get("s3JobDefinition") or {}
    if definition.get("bucketCriteria") or not definition.get("bucketDefinitions"):
        raise MacieValidation("only jobs that list their buckets in bucketDefinitions are simulated")
    if params.get("jobType") not in ("ONE_TIME", "SCHEDULED"):
        raise MacieValidation("jobType must be ONE_TIME or SCHEDULED")
    job_id = _stable_id(
        backend.account_id, backend.region_name, "job", params["name"], length=32, alphabet="0123456789abcdef"
    )
    job = {
        "jobId": job_id,
        "jobArn": f"arn:{get_partition(backend.region_name)}:macie2:{backend.region_name}:{backend.account_id}"
        f":classification-job/{job_id}",
        "jobType": params["jobType"],
        "name": params["name"],
        "createdAt": utcnow(),
        "buckets": {(d["accountId"], name) for d in definition["bucketDefinitions"] for name in d.get("buckets", [])},
    }
    _macie_state(backend).jobs.append(job)
    return json.dumps({"jobArn": job["jobArn"], "jobId": job_id})


def _macie_update_automated_discovery_configuration(self: MacieResponse) -> str:
    backend = _macie_enabled(self)
    status = _rest_params(self).get("status")
    if status not in ("ENABLED", "DISABLED"):
        raise MacieValidation("status must be ENABLED or DISABLED")
    _macie_state(backend).automated_discovery = status
    return json.dumps({})


def _macie_get_automated_discovery_configuration(self: MacieResponse) -> str:
    return json.dumps({"status": _macie_state(_macie_enabled(self)).automated_discovery})


def _macie_job_details(state: _MacieState, account: str, bucket: str) -> dict[str, Any]:
    jobs = [j for j in state.jobs if (account, bucket) in j["buckets"]]
    details: dict[str, Any] = {
        "isDefinedInJob": "TRUE" if jobs else "FALSE",
        "isMonitoredByJob": "TRUE" if any(j["jobType"] == "SCHEDULED" for j in jobs) else "FALSE",
    }
    if jobs:
        details.update(lastJobId=jobs[-1]["jobId"], lastJobRunTime=_macie_iso(jobs[-1]["createdAt"]))
    return details


_MACIE_CRITERIA_FIELDS = {"bucketName", "accountId"}


def _macie_matches(criteria: dict[str, Any], metadata: dict[str, Any]) -> bool:
    """DescribeBuckets criteria on bucketName and accountId (eq, neq, prefix); others are not simulated."""
    for field_name, test in criteria.items():
        if field_name not in _MACIE_CRITERIA_FIELDS or not set(test) <= {"eq", "neq", "prefix"}:
            raise MacieValidation(f"criteria on {field_name} ({sorted(test)}) are not simulated")
        value = metadata[field_name]
        if "eq" in test and value not in test["eq"]:
            return False
        if "neq" in test and value in test["neq"]:
            return False
        if "prefix" in test and not value.startswith(test["prefix"]):
            return False
    return True


def _macie_describe_buckets(self: MacieResponse) -> str:
    """Macie's bucket inventory of the region: the account's S3 buckets there, each with whether automated
    sensitive data discovery monitors it and which classification jobs analyse it (jobDetails)."""
    backend = _macie_enabled(self)
    session = backend.macie_session or {}
    params = _rest_params(self)
    state = _macie_state(backend)
    s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
    monitored = "MONITORED" if state.automated_discovery == "ENABLED" else "NOT_MONITORED"
    inventory = []
    for bucket in sorted(s3.buckets.values(), key=lambda b: b.name):
        if bucket.region_name != backend.region_name:
            continue
        tags = s3.tagger.list_tags_for_resource(bucket.arn)["Tags"]
        metadata = {
            "accountId": backend.account_id,
            "bucketArn": bucket.arn,
            "bucketCreatedAt": _macie_iso(bucket.creation_date),
            "bucketName": bucket.name,
            "region": bucket.region_name,
            "automatedDiscoveryMonitoringStatus": monitored,
            "jobDetails": _macie_job_details(state, backend.account_id, bucket.name),
            # When Macie last read the bucket's metadata: its daily refresh, not each request.
            "lastUpdated": _macie_iso(max(_aware(bucket.creation_date), _aware(session["createdAt"]))),
            "tags": [{"key": t["Key"], "value": t["Value"]} for t in tags],
        }
        if _macie_matches(params.get("criteria") or {}, metadata):
            inventory.append(metadata)
    page, token = _page(
        inventory,
        params.get("nextToken"),
        params.get("maxResults"),
        default=50,
        maximum=50,
        error=MacieValidation,
        token_error=MacieValidation,
    )
    return json.dumps({"buckets": page, **({"nextToken": token} if token else {})})


_MACIE_ROUTES = {
    "{0}/jobs$": MacieResponse.dispatch,
    "{0}/datasources/s3$": MacieResponse.dispatch,
    "{0}/automated-discovery/configuration$": MacieResponse.dispatch,
}


# --------------------------------------------------------------------------- STS


def _required_external_id(trust: Any) -> str | None:
    """The sts:ExternalId a role's trust policy requires (StringEquals), if any."""
    try:
        document = json.loads(trust) if isinstance(trust, str) else trust
    except ValueError:
        return None
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition", {}) if isinstance(statement, dict) else {}
        value = condition.get("StringEquals", {}).get("sts:ExternalId") if isinstance(condition, dict) else None
        if isinstance(value, str):
            return value
    return None


def _sts_assume_role(self: STSBackend, **kwargs: Any) -> Any:
    """moto hands out credentials for any role ARN, even of a role that does not exist. AWS denies it:
    AccessDenied "User: <caller> is not authorized to perform: sts:AssumeRole on resource: <role>", the same
    answer as for a trust policy that does not name the caller or an ExternalId that does not match."""
    role_arn = str(kwargs["role_arn"])
    parts = role_arn.split(":")
    partition = get_partition(str(kwargs["region_name"]))
    caller = f"arn:{partition}:iam::{self.account_id}:user/cspm-ai"
    denied = AccessDeniedError(caller, f"sts:AssumeRole on resource: {role_arn}")
    if len(parts) < 6:
        raise denied
    roles = [r for r in iam_backends[parts[4]][partition].get_roles() if r.arn == role_arn]
    if not roles:
        raise denied
    required = _required_external_id(roles[0].assume_role_policy_document)
    if required is not None and kwargs.get("external_id") != required:
        raise denied
    return _original(STSBackend, "assume_role")(self, **kwargs)


def _org_list_accounts(self: OrganizationsBackend, **kwargs: Any) -> Any:
    """moto lists no accounts for an account outside any organization; AWS answers
    AWSOrganizationsNotInUseException "Your account is not a member of an organization."."""
    if self.org is None:
        raise AWSOrganizationsNotInUseException
    return _original(OrganizationsBackend, "list_accounts")(self, **kwargs)


def _install_sts() -> None:
    """AssumeRole of a role that is not there, and Organizations outside an organization, answer as AWS does."""
    if not _mark_once(STSBackend):
        return
    _patch(STSBackend, "assume_role", _sts_assume_role)
    _patch(OrganizationsBackend, "list_accounts", _org_list_accounts)
    # Security Hub takes a delegated administrator (EnableOrganizationAdminAccount registers it under this
    # principal); moto knows only some of the services that do.
    supported = FakeDelegatedAdministrator.SUPPORTED_SERVICES
    _patch(FakeDelegatedAdministrator, "SUPPORTED_SERVICES", [*supported, "securityhub.amazonaws.com"])


def _install_macie() -> None:
    if not _mark_once(MacieResponse):
        return
    _patch(MacieBackend, "__init__", _macie_backend_init)
    _patch(MacieResponse, "get_macie_session", _macie_get_macie_session)
    _patch(MacieResponse, "create_classification_job", _macie_create_classification_job)
    _patch(MacieResponse, "describe_buckets", _macie_describe_buckets)
    _patch(MacieResponse, "update_automated_discovery_configuration", _macie_update_automated_discovery_configuration)
    _patch(MacieResponse, "get_automated_discovery_configuration", _macie_get_automated_discovery_configuration)
    # moto routes a service's requests by the URL paths its module lists; these operations have none.
    _patch(macie_urls, "url_paths", {**macie_urls.url_paths, **_MACIE_ROUTES})


# --------------------------------------------------------------------------- CloudFormation

# The SageMaker types moto's CloudFormation creates, with the property a template names each resource by.
_CFN_SAGEMAKER: tuple[tuple[type, str], ...] = (
    (FakeEndpointConfig, "EndpointConfigName"),
    (FakeEndpoint, "EndpointName"),
    (Model, "ModelName"),
    (FakeSagemakerNotebookInstance, "NotebookInstanceName"),
)


def _cfn_create_tagged(cls: type, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
    """moto's creation, then the tags CloudFormation puts on every resource of a stack (moto adds them only to EC2)."""
    created = _original(cls, "create_from_cloudformation_json").__get__(None, cls)
    resource = created(resource_name, cloudformation_json, *args, **kwargs)
    stack_id = kwargs.get("StackId")
    if stack_id:
        resource.tags = [
            *resource.tags,
            {"Key": "aws:cloudformation:stack-name", "Value": str(stack_id).split("/")[1]},
            {"Key": "aws:cloudformation:stack-id", "Value": str(stack_id)},
            {"Key": "aws:cloudformation:logical-id", "Value": str(kwargs.get("LogicalId"))},
        ]
    return resource


def _install_cloudformation() -> None:
    for cls, name_property in _CFN_SAGEMAKER:
        if not _mark_once(cls):
            continue
        # A template names the resource, as AWS allows; moto ignores the name and makes one up.
        _patch(cls, "cloudformation_name_type", staticmethod(functools.partial(str, name_property)))
        _patch(cls, "create_from_cloudformation_json", classmethod(_cfn_create_tagged))
