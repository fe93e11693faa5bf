{{/*
The parameters of one StorageClass, as the driver reads them (README, "Settings" and "NFS volumes"); unknown
parameters are refused by the driver, so only the ones set are written. Call with (list $ class).
*/}}
{{- define "ordinal.classParameters" -}}
{{- $root := index . 0 -}}
{{- $class := index . 1 -}}
{{- if $class.nfs -}}
{{- $export := dict -}}
{{- range $root.Values.nfs.exports -}}
{{- if eq .name $class.nfs.export -}}
{{- $export = . -}}
{{- end -}}
{{- end -}}
server: {{ $export.server | quote }}
share: {{ $export.share | quote }}
{{- with $class.nfs.subDir }}
subDir: {{ . | quote }}
{{- end }}
{{- with $class.nfs.mountOptions }}
mountOptions: {{ . | quote }}
{{- end }}
{{- with $class.nfs.onDelete }}
onDelete: {{ . | quote }}
{{- end }}
{{- else -}}
layout: {{ $class.layout | quote }}
{{- with $class.fsType }}
csi.storage.k8s.io/fstype: {{ . | quote }}
{{- end }}
{{- with $class.fitPolicy }}
fitPolicy: {{ . | quote }}
{{- end }}
{{- with $class.spread }}
spread: {{ . | quote }}
{{- end }}
{{- /* Immediate claims are placed by the companion where it runs: the driver placing them as csi-provisioner asks,
       beside the companion, would be two placers that do not see each other's choices. */ -}}
{{- $immediate := eq ($class.volumeBindingMode | default "WaitForFirstConsumer") "Immediate" -}}
{{- $placement := $class.placement | default (ternary "companion" "" (and $immediate $root.Values.controller.companion.enabled)) -}}
{{- with $placement }}
placement: {{ . | quote }}
{{- end }}
{{- end }}
{{- if $class.orderedBinding }}
orderedBinding: "true"
{{- end }}
{{- end }}
