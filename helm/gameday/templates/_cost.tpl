{{/* The container that writes the FinOps report (gameday cost --format html)
under /reports/cost/<environment>/. */}}
{{- define "gameday.costContainer" -}}
- name: {{ .name }}
  image: {{ include "gameday.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args:
    - cost
    - --prometheus-url={{ .root.Values.target.prometheusUrl }}
    - --environment={{ .root.Values.costReport.environment }}
    - --window={{ .root.Values.costReport.window }}
    - --budgets=/etc/gameday/cost/budgets.yaml
    - --inventory=/etc/gameday/cost/inventory.json
    {{- if or .root.Values.sloGuard.enabled .root.Values.sloReport.enabled }}
    # The availability SLO's attainment, for the cost of resilience.
    - --slo-dir=/etc/gameday/slo
    {{- end }}
    - --format=html
    - --out=/reports/cost/{{ .root.Values.costReport.environment }}/report.html
  env:
    - name: HOME
      value: /tmp
  resources:
    requests:
      cpu: 100m
      memory: 128Mi
    limits:
      cpu: "1"
      memory: 512Mi
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    runAsNonRoot: true
    capabilities:
      drop: [ALL]
  volumeMounts:
    - name: cost
      mountPath: /etc/gameday/cost
      readOnly: true
    {{- if or .root.Values.sloGuard.enabled .root.Values.sloReport.enabled }}
    - name: slo
      mountPath: /etc/gameday/slo
      readOnly: true
    {{- end }}
    - name: reports
      mountPath: /reports
    - name: tmp
      mountPath: /tmp
{{- end }}
