{{/* The driver in controller mode: cluster mode, no disks of its own, NFS exports where the pod mounts them. Both
   driver processes serve health and metrics on all interfaces (the executable's default is loopback): the kubelet
   probes and Prometheus scrapes them at the pod's address. */}}
{{- define "ordinal.controllerDriverProperties" -}}
quarkus.management.host=0.0.0.0
ordinal.cluster.enabled=true
ordinal.cluster.ready-timeout={{ .Values.controller.readyTimeout }}
{{/* Only the pod whose csi-provisioner holds its Lease (named after the driver) places and deletes. */}}
ordinal.cluster.leader-election.lease={{ include "ordinal.provisionerLease" . }}
ordinal.cluster.leader-election.renew-deadline={{ .Values.controller.leaderElection.renewDeadline }}
ordinal.cluster.leader-election.provisioner-metrics=http://127.0.0.1:{{ include "ordinal.provisionerMetricsPort" . }}/metrics
ordinal.default-volume-size={{ .Values.controller.defaultVolumeSize }}
{{- with include "ordinal.controllerExports" . }}
ordinal.nfs.exports={{ . }}
{{- end }}
{{- end }}

{{/* The node agent: this node's disks (never created unless asked), publish root = kubelet's directory. */}}
{{- define "ordinal.nodeDriverProperties" -}}
quarkus.management.host=0.0.0.0
ordinal.cluster.enabled=true
ordinal.cluster.resync={{ .Values.node.resync }}
ordinal.cluster.orphan-grace={{ .Values.node.orphanGrace }}
ordinal.disks={{ include "ordinal.diskList" . }}
{{- range .Values.disks }}
{{- if .capacity }}
ordinal.disk-capacity.{{ .name }}={{ .capacity }}
{{- end }}
{{- end }}
ordinal.create-disk-dirs=false
ordinal.publish-roots={{ .Values.kubeletDir }}
ordinal.state-dir={{ .Values.node.stateDir }}
ordinal.max-volumes-per-node={{ .Values.node.maxVolumesPerNode }}
ordinal.nfs.node-mount={{ .Values.nfs.nodeMount }}
{{- if eq .Values.nfs.nodeMount "bind" }}
{{- with include "ordinal.nodeExports" . }}
ordinal.nfs.exports={{ . }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ordinal.diskList" -}}
{{- $entries := list -}}
{{- range .Values.disks -}}
{{- $entries = append $entries (printf "%s=%s" .name .path) -}}
{{- end -}}
{{- join "," $entries -}}
{{- end }}

{{/* The companion controller: its Lease in the release's namespace (POD_NAMESPACE), identity = pod name. */}}
{{- define "ordinal.companionProperties" -}}
ordinal.controller.lease-name={{ include "ordinal.fullname" . }}-controller
ordinal.controller.lease-duration={{ .Values.controller.leaderElection.leaseDuration }}
ordinal.controller.renew-deadline={{ .Values.controller.leaderElection.renewDeadline }}
ordinal.controller.retry-period={{ .Values.controller.leaderElection.retryPeriod }}
ordinal.controller.resync={{ .Values.controller.companion.resync }}
{{- end }}

{{/* csi-provisioner's Lease: the driver's name with every character but letters, digits and '-' made '-'. */}}
{{- define "ordinal.provisionerLease" -}}
{{- regexReplaceAll "[^a-zA-Z0-9-]" "ordinal.csi.dev" "-" -}}
{{- end }}

{{/* Where csi-provisioner serves its metrics, on the controller pod's loopback only. */}}
{{- define "ordinal.provisionerMetricsPort" -}}
9812
{{- end }}
