{{/* The arguments of `gameday dora` shared by the weekly report's CronJob
and the --serve Deployment (docs/dora.md): the repository, the services,
the environments, Argo CD's namespace, this cluster's Prometheus, the SLO
specs mounted at /etc/gameday/slo, the published game days. */}}
{{- define "gameday.doraArgs" -}}
- dora
- --git={{ .Values.dora.git }}
{{- range .Values.dora.services }}
- --service={{ . }}
{{- end }}
{{- range .Values.dora.environments }}
- --environment={{ . }}
{{- end }}
- --argocd-namespace={{ .Values.dora.argocdNamespace }}
- --prometheus-url={{ .Values.target.prometheusUrl }}
- --slo-dir=/etc/gameday/slo
{{- if .Values.publish.enabled }}
- --reports-git={{ .Values.publish.repo }}
- --reports-path={{ .Values.publish.path }}
{{- end }}
{{- range .Values.dora.runEnvironments }}
- --run-environment={{ . }}
{{- end }}
- --window={{ .Values.dora.window }}
{{- end }}

{{- define "gameday.doraSelectorLabels" -}}
{{ include "gameday.selectorLabels" . }}
app.kubernetes.io/component: dora
{{- end }}
