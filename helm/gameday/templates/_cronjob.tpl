{{/* The container of a CronJob (a game day, the SLO report, the DORA
report): dict "root" (the chart's context), "job" (the CronJob's entry of
cronjob.yaml) and "name". A report that is published runs it as an init
container; gameday publish then commits what it wrote. */}}
{{- define "gameday.cronContainer" -}}
{{- $root := .root }}
{{- $job := .job }}
{{- $report := or $job.slo $job.dora }}
- name: {{ .name }}
  image: {{ include "gameday.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args:
    {{- if $job.slo }}
    # The error budgets now, as a page published with the reports
    # (<publish.path>/slo/<environment>/report.html; git keeps the history).
    - slo
    - report
    - --slo-dir=/etc/gameday/slo
    - --prometheus-url={{ $root.Values.target.prometheusUrl }}
    {{- with $root.Values.target.lokiUrl }}
    - --loki-url={{ . }}
    {{- end }}
    - --format=html
    - --history={{ $root.Values.sloReport.history }}
    - --out=/reports/slo/{{ include "gameday.environment" $root }}/report.html
    {{- else if $job.dora }}
    # Delivery performance: Argo CD's history in this cluster,
    # the repository it deploys from, this cluster's alerts and
    # the published game days (<publish.path>/dora/<environment>/report.html).
    {{- include "gameday.doraArgs" $root | nindent 4 }}
    - --format=html
    - --out=/reports/dora/{{ include "gameday.environment" $root }}/report.html
    {{- else }}
    - run
    - --target=kubernetes
    - --namespace={{ $root.Values.target.namespace }}
    - --deployment={{ $root.Values.target.deployment }}
    - --allow-namespace={{ $root.Values.target.namespace }}
    {{- if $root.Values.target.allowProd }}
    - --allow-prod
    {{- end }}
    - --kill-switch={{ $root.Release.Namespace }}/{{ $root.Values.killSwitch }}
    {{- if $root.Values.sloGuard.enabled }}
    - --slo-dir=/etc/gameday/slo
    {{- end }}
    - --output=json
    - --reports-dir=/reports
    - --target-url={{ $root.Values.target.url }}
    - --prometheus-url={{ $root.Values.target.prometheusUrl }}
    {{- with $root.Values.target.lokiUrl }}
    - --loki-url={{ . }}
    {{- end }}
    - --no-color
    {{- include "gameday.deliveryArgs" $root | nindent 4 }}
    {{- range $root.Values.extraArgs }}
    - {{ . | quote }}
    {{- end }}
    - /etc/gameday/experiments/suites/{{ $job.suite }}.yaml
    {{- end }}
  env:
    - name: HOME
      value: /tmp
    {{- if not $report }}
    {{- include "gameday.notifyEnv" $root | nindent 4 }}
    {{- end }}
  {{- if or $job.dora (and (not $report) $root.Values.publish.enabled) }}
  # The git credentials: a game day publishes its reports, the
  # DORA report clones the published ones.
  {{- include "gameday.gitEnvFrom" $root | nindent 2 }}
  {{- end }}
  resources:
    {{- toYaml $root.Values.resources | nindent 4 }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    capabilities:
      drop: [ALL]
  volumeMounts:
    - name: experiments
      mountPath: /etc/gameday/experiments
      readOnly: true
    - name: reports
      mountPath: /reports
    - name: tmp
      mountPath: /tmp
    {{- if or $root.Values.sloGuard.enabled $job.slo $job.dora }}
    - name: slo
      mountPath: /etc/gameday/slo
      readOnly: true
    {{- end }}
    {{- if and (not $report) $root.Values.notifications.enabled }}
    - name: notify
      mountPath: /etc/gameday/notify
      readOnly: true
    {{- end }}
{{- end }}

{{/* The container that commits what a report's init container wrote to
the GitOps repository (gameday publish; docs/publishing.md): dict "root"
(the chart's context) and "dir" (the report's folder under /reports,
slo/<environment> ...). */}}
{{- define "gameday.publishContainer" -}}
{{- $root := .root }}
- name: publish
  image: {{ include "gameday.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args:
    - publish
    - --repo={{ $root.Values.publish.repo }}
    - --branch={{ $root.Values.publish.branch }}
    - --path={{ $root.Values.publish.path }}
    - --reports-dir=/reports
    - /reports/{{ .dir }}
  env:
    - name: HOME
      value: /tmp
  {{- include "gameday.gitEnvFrom" $root | nindent 2 }}
  resources:
    {{- toYaml $root.Values.publish.resources | nindent 4 }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    capabilities:
      drop: [ALL]
  volumeMounts:
    - name: reports
      mountPath: /reports
      readOnly: true
    - name: tmp
      mountPath: /tmp
{{- end }}
