{{/* Chart name. */}}
{{- define "petclinic.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-petclinic, or the release name when it already holds the chart name. */}}
{{- define "petclinic.fullname" -}}
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

{{/* Labels of every object. */}}
{{- define "petclinic.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "petclinic.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gameday
{{- end }}

{{/* Labels that select the pods (never change them on an existing release). */}}
{{- define "petclinic.selectorLabels" -}}
app.kubernetes.io/name: {{ include "petclinic.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "petclinic.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "petclinic.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "petclinic.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret the ExternalSecret writes. */}}
{{- define "petclinic.credentialsSecret" -}}
{{- printf "%s-credentials" (include "petclinic.fullname" .) }}
{{- end }}

{{/* terminationGracePeriodSeconds: preStop sleep + drain delay + shutdown timeout + 5 s of margin. */}}
{{- define "petclinic.terminationGracePeriodSeconds" -}}
{{- add .Values.config.preStopSleepSeconds .Values.config.drainDelaySeconds .Values.config.shutdownTimeoutSeconds 5 }}
{{- end }}

{{/* Fails the render when settings contradict each other (the schema checks single values). */}}
{{- define "petclinic.validate" -}}
{{- if and (eq .Values.database.kind "mysql") (not .Values.database.host) }}
{{- fail "database.host: required with database.kind mysql (terraform output mysql_endpoint)" }}
{{- end }}
{{- if and .Values.redis.enabled (not .Values.redis.host) }}
{{- fail "redis.host: required with redis.enabled (terraform output redis_primary_endpoint)" }}
{{- end }}
{{- if and (or (eq .Values.database.kind "mysql") .Values.redis.enabled) (not .Values.externalSecret.enabled) }}
{{- fail "externalSecret.enabled: required with database.kind mysql or redis.enabled (credentials come only from Secrets Manager)" }}
{{- end }}
{{- if and .Values.externalSecret.enabled (eq .Values.database.kind "mysql") (not .Values.externalSecret.mysql.key) }}
{{- fail "externalSecret.mysql.key: required with database.kind mysql (terraform output mysql_master_secret_arn)" }}
{{- end }}
{{- if and .Values.externalSecret.enabled .Values.redis.enabled (not .Values.externalSecret.redis.key) }}
{{- fail "externalSecret.redis.key: required with redis.enabled (<project>-<env>-cache/redis-auth-token)" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (lt (int .Values.autoscaling.maxReplicas) (int .Values.autoscaling.minReplicas)) }}
{{- fail "autoscaling.maxReplicas: must be at least autoscaling.minReplicas" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (ne (int .Values.replicaCount) (int .Values.autoscaling.minReplicas)) }}
{{- fail "replicaCount: must equal autoscaling.minReplicas when autoscaling.enabled (the HPA owns the count)" }}
{{- end }}
{{- if and .Values.pdb.enabled (kindIs "invalid" .Values.pdb.maxUnavailable) (not (kindIs "string" .Values.pdb.minAvailable)) (ge (int .Values.pdb.minAvailable) (int .Values.replicaCount)) }}
{{- fail "pdb.minAvailable: must be below replicaCount, or no node could ever be drained" }}
{{- end }}
{{- if and (gt (int .Values.topologySpread.minZones) 0) (ne .Values.topologySpread.zoneWhenUnsatisfiable "DoNotSchedule") }}
{{- fail "topologySpread.minZones: needs topologySpread.zoneWhenUnsatisfiable DoNotSchedule" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled (eq .Values.database.kind "mysql") (not .Values.networkPolicy.databaseCidrs) }}
{{- fail "networkPolicy.databaseCidrs: required with networkPolicy.enabled and database.kind mysql (egress to MySQL is denied otherwise)" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled .Values.redis.enabled (not .Values.networkPolicy.redisCidrs) }}
{{- fail "networkPolicy.redisCidrs: required with networkPolicy.enabled and redis.enabled (egress to Redis is denied otherwise)" }}
{{- end }}
{{- if and .Values.networkPolicy.enabled .Values.ingress.enabled (not .Values.networkPolicy.albCidrs) (not .Values.networkPolicy.ingressControllerNamespaces) }}
{{- fail "networkPolicy.albCidrs: required with networkPolicy.enabled and ingress.enabled (the ALB could not reach the pods)" }}
{{- end }}
{{- if and .Values.ingress.enabled (gt (int .Values.ingress.alb.deregistrationDelaySeconds) (int (add .Values.config.preStopSleepSeconds .Values.config.drainDelaySeconds))) }}
{{- fail "ingress.alb.deregistrationDelaySeconds: must not exceed config.preStopSleepSeconds + config.drainDelaySeconds (the ALB would send to a stopped server)" }}
{{- end }}
{{- end }}
