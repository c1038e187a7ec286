{{- define "gameday.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gameday.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gameday.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "gameday.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gameday
{{- end }}

{{- define "gameday.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gameday.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gameday.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gameday.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gameday.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Roles and ClusterRoles of files/rbac/*.yaml (the harness's), as a
list of {kind, name, rules, scope}: scope "self" for a Role in the harness's
own namespace (that of its ServiceAccount), "target" for the others. When
there are none, the render fails (rules of its own would drift from the
harness's, as the old fallback lacked patch for the pause on abort). Output
is JSON: include it with fromJsonArray. */}}
{{- define "gameday.roles" -}}
{{- $roles := list }}
{{- $self := "gameday" }}
{{- range $path, $_ := .Files.Glob "files/rbac/*.yaml" }}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" ($.Files.Get $path) -1 }}
{{- $o := fromYaml $doc }}
{{- if eq ($o.kind | default "") "ServiceAccount" }}
{{- $self = $o.metadata.namespace | default $self }}
{{- end }}
{{- end }}
{{- end }}
{{- range $path, $_ := .Files.Glob "files/rbac/*.yaml" }}
{{- range $doc := regexSplit "(?m)^---[ \t]*$" ($.Files.Get $path) -1 }}
{{- $o := fromYaml $doc }}
{{- if hasKey $o "Error" }}
{{- fail (printf "%s: %s" $path $o.Error) }}
{{- end }}
{{- if has ($o.kind | default "") (list "Role" "ClusterRole") }}
{{- $scope := ternary "self" "target" (eq ($o.metadata.namespace | default "") $self) }}
{{- $roles = append $roles (dict "kind" $o.kind "name" $o.metadata.name "rules" $o.rules "scope" $scope) }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $roles }}
{{- fail "files/rbac/ holds no Role or ClusterRole: it is the synced copy of harness/deploy/rbac/ (scripts/platform-check.sh fix); the chart has no rules of its own" }}
{{- end }}
{{- toJson $roles }}
{{- end }}

{{/* Fails the render when settings contradict each other. */}}
{{- define "gameday.validate" -}}
{{- range .Values.schedules }}
{{- if not ($.Files.Get (printf "files/experiments/suites/%s.yaml" .suite)) }}
{{- fail (printf "schedules: suite %q is not in experiments/suites/ (files/experiments/suites/%s.yaml)" .suite .suite) }}
{{- end }}
{{- end }}
{{- if not (has .Values.target.namespace .Values.rbac.targetNamespaces) }}
{{- fail (printf "target.namespace: %q is not in rbac.targetNamespaces (the harness could not act there)" .Values.target.namespace) }}
{{- end }}
{{- if and .Values.sloGuard.enabled (not (.Files.Glob "files/slo/*.yaml")) }}
{{- fail "sloGuard.enabled: files/slo/ holds no SLO spec (scripts/platform-check.sh fix copies slo/)" }}
{{- end }}
{{- if and .Values.scheduler.enabled (not (.Files.Get (printf "files/experiments/schedules/%s" .Values.scheduler.schedulesFile))) }}
{{- fail (printf "scheduler.schedulesFile: %q is not in experiments/schedules/ (files/experiments/schedules/)" .Values.scheduler.schedulesFile) }}
{{- end }}
{{- if and .Values.externalSecret.enabled (not .Values.publish.enabled) }}
{{- fail "externalSecret.enabled: needs publish.enabled (the git credentials are only for publishing)" }}
{{- end }}
{{- end }}

{{/* The flags of gameday run (and schedule) that publish each run's reports
and notify its verdict, from publish.* and notifications.* (docs/publishing.md,
docs/notifications.md). */}}
{{- define "gameday.deliveryArgs" -}}
{{- if .Values.publish.enabled }}
- --publish
- --publish-repo={{ .Values.publish.repo }}
- --publish-branch={{ .Values.publish.branch }}
- --publish-path={{ .Values.publish.path }}
{{- end }}
{{- if .Values.notifications.enabled }}
- --notify=/etc/gameday/notify/notifications.yaml
{{- if and .Values.environment (not (hasKey .Values.notifications.labels "environment")) }}
- --notify-label=environment={{ .Values.environment }}
{{- end }}
{{- range $k, $v := .Values.notifications.labels }}
- --notify-label={{ $k }}={{ $v }}
{{- end }}
{{- end }}
{{- end }}

{{/* envFrom of a container that writes to git: the git credentials
(GIT_USERNAME, GIT_TOKEN) of the ExternalSecret. */}}
{{- define "gameday.gitEnvFrom" -}}
{{- if .Values.externalSecret.enabled }}
envFrom:
  - secretRef:
      name: {{ include "gameday.fullname" . }}-git
{{- end }}
{{- end }}

{{/* env entries of a container that notifies: the Slack webhook URL the
notifications file names ({env: GAMEDAY_SLACK_WEBHOOK_URL}). */}}
{{- define "gameday.notifyEnv" -}}
{{- if and .Values.notifications.enabled .Values.notifications.slack.enabled }}
- name: GAMEDAY_SLACK_WEBHOOK_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "gameday.fullname" . }}-notifications
      key: slack-webhook-url
{{- end }}
{{- end }}

{{/* The folder of this environment's SLO and DORA reports under the
published reports: environment, else "latest". */}}
{{- define "gameday.environment" -}}
{{- .Values.environment | default "latest" }}
{{- end }}
