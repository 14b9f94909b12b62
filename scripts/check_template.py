"""Checks template.yaml's deployment rules that cfn-lint cannot know.

- every API function (one with an HttpApi event) publishes alias `live` and has a
  DeploymentPreference: Type from the DeploymentType parameter, its errors, throttles,
  p99-duration and unexpected-errors (Hangar/UnexpectedErrors) alarms on its new
  version, and both hooks; no deployment is gated on API Gateway's own 5xx metric (it
  counts designed 503s);
- every hook function is named CodeDeployHook_*, within Lambda's 64 characters for every
  Stage the Stage parameter allows (and never with the stack name, which may be 128
  characters), has no deployment preference itself, and may do only what it needs:
  report to CodeDeploy, read its deployment's target, invoke the API functions;
- both hooks' API_FUNCTION_VERSIONS name every API function's new version;
- every alarm on a function metric gates some API function's deployment;
- LogLevel is honoured: Globals' LoggingConfig.ApplicationLogLevel comes from it (Lambda's
  level wins over RUST_LOG in the functions' logger), for every value it allows;
- Architecture (arm64 or x86_64, arm64 by default) sets every function's architecture;
- no function's environment resolves a secret (`{{resolve:secretsmanager:...}}`): it names
  the secret's ARN and the function reads it at run time.

The rules apply to the template as CloudFormation sees it after the AWS::LanguageExtensions
transform: `Fn::ForEach` loops (the per-function alarms) are expanded first, by cfn-lint's
implementation of that transform, so every generated alarm is checked like a written one.

Usage: .venv/bin/python scripts/check_template.py [template.yaml]
"""

import json
import re
import sys

from cfnlint.decode import decode
from cfnlint.template import Template

# cfn-lint's own copy of CloudFormation's AWS::LanguageExtensions transform (what `cfn-lint`
# and `sam validate --lint` check the expanded template with); cfn-lint is pinned in
# scripts/requirements.txt.
from cfnlint.template.transforms._language_extensions import language_extension

LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"


def load(path):
    """The template with every Fn::ForEach expanded, as plain dicts, lists and strings."""
    template, matches = decode(path)
    if matches:
        sys.exit(f"{path}: does not parse: {matches}")
    transforms = template.get("Transform", [])
    transforms = transforms if isinstance(transforms, list) else [transforms]
    if LANGUAGE_EXTENSIONS in transforms:
        matches, template = language_extension(Template(path, template, ["us-east-1"]))
        if matches:
            sys.exit(f"{path}: {LANGUAGE_EXTENSIONS} cannot expand it: {matches}")
    return json.loads(json.dumps(template))


path = sys.argv[1] if len(sys.argv) > 1 else "template.yaml"
template = load(path)
problems = [
    f"{key}: Fn::ForEach needs the {LANGUAGE_EXTENSIONS} transform before AWS::Serverless-2016-10-31"
    for key in template["Resources"]
    if key.startswith("Fn::ForEach::")
]
resources = {k: v for k, v in template["Resources"].items() if isinstance(v, dict)}


def functions():
    return {k: v for k, v in resources.items() if v.get("Type") == "AWS::Serverless::Function"}


def is_api(fn):
    events = fn.get("Properties", {}).get("Events", {}) or {}
    return any(e.get("Type") == "HttpApi" for e in events.values())


def ref(value):
    return value.get("Ref") if isinstance(value, dict) else None


def binary(fn):
    return fn.get("Metadata", {}).get("BuildProperties", {}).get("Binary")


# The alarms every API function's deployment watches on its new version: suffix of the
# alarm's logical id -> (AWS/Lambda metric, statistic).
FUNCTION_ALARMS = {
    "ErrorsAlarm": ("AWS/Lambda", "Errors", "Sum"),
    "ThrottlesAlarm": ("AWS/Lambda", "Throttles", "Sum"),
    "P99DurationAlarm": ("AWS/Lambda", "Duration", "p99"),
    "UnexpectedErrorsAlarm": ("Hangar", "UnexpectedErrors", "Sum"),
}
FUNCTION_NAMESPACES = {ns for ns, _, _ in FUNCTION_ALARMS.values()}

api = {k: v for k, v in functions().items() if is_api(v)}
hooks = {}
for name, fn in api.items():
    props = fn["Properties"]
    if props.get("AutoPublishAlias") != "live":
        problems.append(f"{name}: AutoPublishAlias must be `live`")
    pref = props.get("DeploymentPreference")
    if not pref:
        problems.append(f"{name}: no DeploymentPreference")
        continue
    if ref(pref.get("Type")) != "DeploymentType":
        problems.append(f"{name}: DeploymentPreference.Type must be !Ref DeploymentType")
    alarms = {ref(a) for a in pref.get("Alarms", [])}
    for a in pref.get("Alarms", []):
        props_a = resources.get(ref(a), {}).get("Properties", {})
        if props_a.get("Namespace") == "AWS/ApiGateway":
            problems.append(f"{name}: {ref(a)} gates on API Gateway's own metric, which counts designed 503s")
    for alarm in [f"{name}{suffix}" for suffix in FUNCTION_ALARMS]:
        if alarm not in alarms:
            problems.append(f"{name}: DeploymentPreference.Alarms lacks {alarm}")
        elif alarm not in resources:
            problems.append(f"{name}: alarm {alarm} is not defined")
    for suffix, (namespace, metric, statistic) in FUNCTION_ALARMS.items():
        alarm = f"{name}{suffix}"
        if alarm not in resources:
            continue
        alarm_props = resources[alarm].get("Properties", {})
        if (alarm_props.get("Namespace"), alarm_props.get("MetricName")) != (namespace, metric):
            problems.append(f"{alarm}: must alarm on {namespace} {metric}")
        if statistic not in (alarm_props.get("Statistic"), alarm_props.get("ExtendedStatistic")):
            problems.append(f"{alarm}: must use the {statistic} statistic")
        dims = {d["Name"]: d["Value"] for d in alarm_props.get("Dimensions", [])}
        if namespace == "AWS/Lambda" and dims.get("Resource") != {"Fn::Sub": f"${{{name}}}:live"}:
            problems.append(f"{alarm}: must watch the alias ({name}:live)")
        if dims.get("FunctionName") != {"Ref": name}:
            problems.append(f"{alarm}: FunctionName must be !Ref {name}")
        if dims.get("ExecutedVersion") != {"Fn::GetAtt": [name, "Version.Version"]}:
            problems.append(f"{alarm}: ExecutedVersion must be the new version ({name}.Version.Version)")
    hook_refs = pref.get("Hooks", {})
    for kind in ("PreTraffic", "PostTraffic"):
        if kind not in hook_refs:
            problems.append(f"{name}: no {kind} hook")
    for kind, value in hook_refs.items():
        hooks.setdefault(ref(value), set()).add(kind)

gating = {ref(a) for fn in api.values() for a in fn["Properties"].get("DeploymentPreference", {}).get("Alarms", [])}
for alarm, resource in resources.items():
    alarm_props = resource.get("Properties", {})
    if resource.get("Type") == "AWS::CloudWatch::Alarm" and alarm_props.get("Namespace") in FUNCTION_NAMESPACES:
        if alarm not in gating:
            problems.append(f"{alarm}: an alarm on a function metric that no API function's deployment watches")

allowed = {
    "codedeploy:PutLifecycleEventHookExecutionStatus",
    "codedeploy:ListDeploymentTargets",
    "codedeploy:GetDeploymentTarget",
    "lambda:InvokeFunction",
}
# The longest Stage the Stage parameter allows (AllowedPattern ^[a-z][a-z0-9-]{0,15}$).
params = template.get("Parameters", {})
stage_pattern = params.get("Stage", {}).get("AllowedPattern", "")
m = re.search(r"\{0,(\d+)\}\$$", stage_pattern)
longest_stage = "s" * (1 + int(m.group(1))) if m else None
if longest_stage is None:
    problems.append("Stage: AllowedPattern must bound its length (…{0,N}$) so hook names stay within 64 characters")
for hook_name, kinds in hooks.items():
    hook = resources.get(hook_name)
    if not hook:
        problems.append(f"hook {hook_name} is not defined")
        continue
    props = hook["Properties"]
    fname = props.get("FunctionName")
    text = fname.get("Fn::Sub") if isinstance(fname, dict) else fname
    if not isinstance(text, str) or not text.startswith("CodeDeployHook_"):
        problems.append(f"{hook_name}: FunctionName must start with CodeDeployHook_ (SAM's CodeDeploy role invokes only those)")
    elif "${AWS::StackName}" in text:
        problems.append(f"{hook_name}: FunctionName must not hold the stack name (up to 128 characters; Lambda allows 64)")
    elif longest_stage:
        longest = text.replace("${Stage}", longest_stage)
        if "${" in longest or len(longest) > 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", longest):
            problems.append(f"{hook_name}: FunctionName {longest!r} is not a valid Lambda name of at most 64 characters")
    if "DeploymentPreference" in props or "AutoPublishAlias" in props:
        problems.append(f"{hook_name}: a hook must not be deployed gradually itself")
    for policy in props.get("Policies", []):
        if not isinstance(policy, dict) or "Statement" not in policy:
            problems.append(f"{hook_name}: only inline least-privilege statements are allowed, found {policy!r}")
            continue
        for st in policy["Statement"]:
            actions = st.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            extra = set(actions) - allowed
            if extra:
                problems.append(f"{hook_name}: needs no {sorted(extra)}")
            if "lambda:InvokeFunction" in actions:
                targets = {r.get("Fn::Sub") for r in st.get("Resource", []) if isinstance(r, dict)}
                want = {f"${{{n}.Arn}}:*" for n in api}
                if targets != want:
                    problems.append(f"{hook_name}: lambda:InvokeFunction must cover exactly the API functions' versions; differs by {sorted(targets ^ want)}")
            if all(a.startswith("codedeploy:") for a in actions) and "ServerlessDeploymentApplication" not in str(st.get("Resource")):
                problems.append(f"{hook_name}: reporting must be limited to the deployment groups of this application")
    if kinds:
        targets = str(props.get("Environment", {}).get("Variables", {}).get("API_FUNCTION_VERSIONS"))
        for n, fn in api.items():
            if f"'{n}.Version'" not in targets or f"'{binary(fn)}'" not in targets:
                problems.append(f"{hook_name}: API_FUNCTION_VERSIONS lacks {binary(fn)}={n}.Version")

# LogLevel honoured, Architecture chosen. Read before the transform: cfn-lint's copy of it
# resolves Fn::FindInMap with a guessed parameter value; CloudFormation uses the real one.
raw, _ = decode(path)
glob = json.loads(json.dumps(raw)).get("Globals", {}).get("Function", {})
level = glob.get("LoggingConfig", {}).get("ApplicationLogLevel")
mapping = template.get("Mappings", {}).get("LogLevels", {})
if level != {"Fn::FindInMap": ["LogLevels", {"Ref": "LogLevel"}, "Application"]}:
    problems.append("Globals: LoggingConfig.ApplicationLogLevel must be !FindInMap [LogLevels, !Ref LogLevel, Application] (Lambda's level wins over RUST_LOG)")
for value in params.get("LogLevel", {}).get("AllowedValues", []):
    if mapping.get(value, {}).get("Application") != value.upper():
        problems.append(f"Mappings.LogLevels: {value} must map to Application {value.upper()}")
arch = params.get("Architecture", {})
if arch.get("Default") != "arm64" or sorted(arch.get("AllowedValues", [])) != ["arm64", "x86_64"]:
    problems.append("Architecture: a parameter with AllowedValues [arm64, x86_64] and Default arm64")
if glob.get("Architectures") != [{"Ref": "Architecture"}]:
    problems.append("Globals: Architectures must be [!Ref Architecture]")
for name, fn in functions().items():
    if "Architectures" in fn.get("Properties", {}):
        problems.append(f"{name}: Architectures comes from Globals (the Architecture parameter)")

# Secrets are read at run time: a function's configuration may name a secret (its ARN),
# never hold its value (a dynamic reference resolves into plaintext in the configuration).
envs = {"Globals": glob.get("Environment", {})}
envs.update({name: fn.get("Properties", {}).get("Environment", {}) for name, fn in functions().items()})
for name, env in envs.items():
    for var, value in env.get("Variables", {}).items():
        if "{{resolve:secretsmanager" in json.dumps(value) or "{{resolve:ssm-secure" in json.dumps(value):
            problems.append(f"{name}: {var} resolves a secret into the function's configuration; pass its ARN and read it at run time")

print(f"{len(api)} API function(s), {len(hooks)} hook function(s) checked")
for p in problems:
    print(f"  {p}")
sys.exit(1 if problems else 0)
