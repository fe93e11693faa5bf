{{/* The CSI driver name: fixed, it is part of every volume and of the CRDs' group. */}}
{{- define "ordinal.driverName" -}}
ordinal.csi.dev
{{- end }}

{{/* Prefix of every object name: the release name, with "-ordinal" unless it says ordinal already. */}}
{{- define "ordinal.fullname" -}}
{{- if contains "ordinal" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-ordinal" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "ordinal.labels" -}}
app.kubernetes.io/name: ordinal
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ordinal
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* Labels that select one component's pods; call with (list $ "controller"). */}}
{{- define "ordinal.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: ordinal
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* Every label of one component's objects; call with (list $ "controller"). */}}
{{- define "ordinal.componentLabels" -}}
{{ include "ordinal.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* repository:tag, then @digest when one is given. */}}
{{- define "ordinal.imageRef" -}}
{{- $ref := printf "%s:%s" .repository .tag -}}
{{- if .digest -}}
{{- $ref = printf "%s@%s" $ref .digest -}}
{{- end -}}
{{- $ref -}}
{{- end }}

{{/* One of Ordinal's own images (driver or controller): the tag defaults to appVersion, -jvm for the JVM flavor. */}}
{{- define "ordinal.ownImage" -}}
{{- $root := index . 0 -}}
{{- $image := index $root.Values.images (index . 1) -}}
{{- $tag := $image.tag | default $root.Chart.AppVersion -}}
{{- if eq $root.Values.images.flavor "jvm" -}}
{{- $tag = printf "%s-jvm" $tag -}}
{{- end -}}
{{- include "ordinal.imageRef" (dict "repository" $image.repository "tag" $tag "digest" $image.digest) -}}
{{- end }}

{{- define "ordinal.sidecarImage" -}}
{{- include "ordinal.imageRef" (index (index . 0).Values.sidecars (index . 1)) -}}
{{- end }}

{{- define "ordinal.controllerServiceAccount" -}}
{{ include "ordinal.fullname" . }}-controller
{{- end }}

{{- define "ordinal.nodeServiceAccount" -}}
{{ include "ordinal.fullname" . }}-node
{{- end }}

{{/* "true" when the csi-snapshotter sidecar and the VolumeSnapshotClass are installed, "" otherwise. */}}
{{- define "ordinal.snapshotsEnabled" -}}
{{- $setting := .Values.snapshots.enabled | toString -}}
{{- if eq $setting "true" -}}
true
{{- else if and (eq $setting "auto") (.Capabilities.APIVersions.Has "snapshot.storage.k8s.io/v1/VolumeSnapshotClass") -}}
true
{{- end -}}
{{- end }}

{{/* Where the node plugin's socket lives on the host; kubelet finds it there through the registrar. */}}
{{- define "ordinal.pluginDir" -}}
{{ .Values.kubeletDir }}/plugins/{{ include "ordinal.driverName" . }}
{{- end }}

{{/* Where the controller pod mounts an NFS export, by the export's name. */}}
{{- define "ordinal.exportMountPath" -}}
/exports/{{ . }}
{{- end }}

{{/* The NFS exports as the driver's ordinal.nfs.exports wants them, for the controller (pod mounts). */}}
{{- define "ordinal.controllerExports" -}}
{{- $entries := list -}}
{{- range .Values.nfs.exports -}}
{{- $entries = append $entries (printf "%s:%s=%s" .server .share (include "ordinal.exportMountPath" .name)) -}}
{{- end -}}
{{- join "," $entries -}}
{{- end }}

{{/* The same for nodes in bind mode: where every node has the export mounted. */}}
{{- define "ordinal.nodeExports" -}}
{{- $entries := list -}}
{{- range .Values.nfs.exports -}}
{{- $entries = append $entries (printf "%s:%s=%s" .server .share .nodePath) -}}
{{- end -}}
{{- join "," $entries -}}
{{- end }}

{{/*
A container securityContext for everything but the node plugin: no root, no privilege escalation, no capabilities,
a read-only root filesystem (writable paths are emptyDir volumes).
*/}}
{{- define "ordinal.restrictedSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/*
The node-side sidecars run as root without privileges or capabilities: the registration directory and the CSI
socket belong to root on the host.
*/}}
{{- define "ordinal.nodeSidecarSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsUser: 0
capabilities:
  drop: ["ALL"]
{{- end }}

{{/*
Checks that need more than one value at a time, which values.schema.json cannot express. Each failure names the
value to change.
*/}}
{{- define "ordinal.validate" -}}
{{- $exports := dict -}}
{{- range .Values.nfs.exports -}}
{{- if hasKey $exports .name -}}
{{- fail (printf "nfs.exports: the name %q is used twice; each export needs its own name" .name) -}}
{{- end -}}
{{- $_ := set $exports .name . -}}
{{- if and (eq $.Values.nfs.nodeMount "bind") (not .nodePath) -}}
{{- fail (printf "nfs.exports[%s].nodePath is required with nfs.nodeMount=bind: where every node has %s:%s mounted" .name .server .share) -}}
{{- end -}}
{{- end -}}
{{- $disks := dict -}}
{{- range .Values.disks -}}
{{- if hasKey $disks .name -}}
{{- fail (printf "disks: the name %q is used twice; each disk needs its own name" .name) -}}
{{- end -}}
{{- $_ := set $disks .name . -}}
{{- end -}}
{{- $classes := dict -}}
{{- $defaults := 0 -}}
{{- range .Values.storageClasses -}}
{{- if hasKey $classes .name -}}
{{- fail (printf "storageClasses: the name %q is used twice" .name) -}}
{{- end -}}
{{- $_ := set $classes .name . -}}
{{- if .default -}}
{{- $defaults = add1 $defaults -}}
{{- end -}}
{{- if and .nfs (not (hasKey $exports .nfs.export)) -}}
{{- fail (printf "storageClasses[%s].nfs.export is %q, which is not one of nfs.exports (%s)" .name .nfs.export (keys $exports | sortAlpha | join ", " | default "none configured")) -}}
{{- end -}}
{{- if and .fsType (ne (.layout | default "") "image") -}}
{{- fail (printf "storageClasses[%s].fsType applies to the image layout only (this class has %s)" .name (.layout | default "nfs")) -}}
{{- end -}}
{{- if and .placement .nfs -}}
{{- fail (printf "storageClasses[%s].placement applies to local classes only (an NFS volume is on no node's disk)" .name) -}}
{{- end -}}
{{- if and (eq (.placement | default "") "companion") (not $.Values.controller.companion.enabled) -}}
{{- fail (printf "storageClasses[%s].placement is companion, but controller.companion.enabled=false: no one would place the claims and they would wait for ever. Set controller.companion.enabled=true, or placement: driver" .name) -}}
{{- end -}}
{{- if and .orderedBinding (not $.Values.controller.companion.enabled) -}}
{{- fail (printf "storageClasses[%s].orderedBinding needs the companion controller, which admits the claims one ordinal at a time; with controller.companion.enabled=false they would wait for ever. Set controller.companion.enabled=true, or drop orderedBinding from the class" .name) -}}
{{- end -}}
{{- end -}}
{{- if gt $defaults 1 -}}
{{- fail "storageClasses: more than one class has default: true; the cluster can have one default class" -}}
{{- end -}}
{{- end }}
