{{/*
RBAC: one ClusterRole (cluster-wide rules) and, where needed, one Role (rules in one namespace) per component, each
labelled ordinal.csi.dev/rbac-component, so that every rule can be checked against docs/SECURITY.md's table
(RbacTest). The verbs are what each component's code calls, no more; no component gets Secrets.
*/}}

{{/* metadata of a component's ClusterRole or Role; call with (list $ "companion"). */}}
{{- define "ordinal.rbacMetadata" -}}
{{- $root := index . 0 -}}
name: {{ include "ordinal.fullname" $root }}-{{ index . 1 }}
labels:
  {{- include "ordinal.labels" $root | nindent 2 }}
  ordinal.csi.dev/rbac-component: {{ index . 1 }}
{{- end }}

{{/*
A ClusterRoleBinding of a component's ClusterRole to a service account; call with (list $ "companion" account).
*/}}
{{- define "ordinal.clusterRoleBinding" -}}
{{- $root := index . 0 -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  {{- include "ordinal.rbacMetadata" (list $root (index . 1)) | nindent 2 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ include "ordinal.fullname" $root }}-{{ index . 1 }}
subjects:
  - kind: ServiceAccount
    name: {{ index . 2 }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}

{{/* A RoleBinding in a namespace; call with (list $ "companion" account namespace). */}}
{{- define "ordinal.roleBinding" -}}
{{- $root := index . 0 -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  {{- include "ordinal.rbacMetadata" (list $root (index . 1)) | nindent 2 }}
  namespace: {{ index . 3 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "ordinal.fullname" $root }}-{{ index . 1 }}
subjects:
  - kind: ServiceAccount
    name: {{ index . 2 }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
