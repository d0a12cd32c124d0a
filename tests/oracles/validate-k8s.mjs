#!/usr/bin/env node
// validate-k8s.mjs: checks Kubernetes objects against the official
// Kubernetes OpenAPI schemas, as packaged by the kubernetes-models npm
// package (generated from Kubernetes' own OpenAPI spec; nobody on this
// project wrote it). Used by tests/integration/manifests_k8s_schema.sh.
//
//   node validate-k8s.mjs PATH...      (files or directories of .yaml/.yml/.json)
//
// Every document of every file is validated; exit 0 only when all are
// valid and there was at least one, 1 otherwise, 2 on usage errors.
//
// The OpenAPI schemas check types, required fields and enums, but not
// the rules the API server enforces in code (pkg/apis/core/validation):
// object name syntax, label syntax, a StatefulSet selector that matches
// its template, mounts of volumes that exist. A few of those rules are
// re-stated below, marked "apiserver rule"; they are ours, the schema
// check is not.

import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function dnsSubdomain(s) {
	return typeof s === "string" && s.length <= 253 &&
	    s.split(".").every((l) => l.length <= 63 && DNS_LABEL.test(l));
}

function qualifiedKey(k) {
	const i = k.lastIndexOf("/");
	const name = i < 0 ? k : k.slice(i + 1);
	if (i >= 0 && !dnsSubdomain(k.slice(0, i)))
		return false;
	return name.length <= 63 && QUALIFIED_NAME.test(name);
}

function collect(p, out) {
	const st = fs.statSync(p);
	if (st.isDirectory()) {
		for (const e of fs.readdirSync(p).sort())
			if (!e.startsWith("."))
				collect(path.join(p, e), out);
	} else if (/\.(ya?ml|json)$/.test(p)) {
		out.push(p);
	}
}

// apiVersion + kind -> the kubernetes-models class module.
async function model(apiVersion, kind) {
	if (typeof apiVersion !== "string" || typeof kind !== "string" ||
	    !/^[A-Za-z0-9]+$/.test(kind) || !/^[a-z0-9.]*\/?v[0-9a-z]+$/.test(apiVersion))
		return null;
	try {
		const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
		return mod[kind] ?? null;
	} catch {
		return null;
	}
}

// apiserver rules (ours, see the header).
function apiserverRules(o) {
	const errs = [];
	const md = o.metadata ?? {};
	const clusterScoped = o.kind === "Namespace";
	if (typeof md.name !== "string")
		errs.push("metadata.name is missing");
	else if (o.kind === "Namespace" && !DNS_LABEL.test(md.name))
		errs.push(`metadata.name "${md.name}" is not a DNS-1123 label`);
	else if (o.kind === "Service" && !(md.name.length <= 63 && DNS_1035.test(md.name)))
		errs.push(`metadata.name "${md.name}" is not a DNS-1035 label`);
	else if (o.kind === "StatefulSet" && !(md.name.length <= 63 && DNS_LABEL.test(md.name)))
		errs.push(`metadata.name "${md.name}" is not a DNS-1123 label`);
	else if (!dnsSubdomain(md.name))
		errs.push(`metadata.name "${md.name}" is not a DNS-1123 subdomain`);
	if (!clusterScoped && md.namespace !== undefined && !DNS_LABEL.test(md.namespace))
		errs.push(`metadata.namespace "${md.namespace}" is not a DNS-1123 label`);
	for (const [k, v] of Object.entries(md.labels ?? {})) {
		if (!qualifiedKey(k))
			errs.push(`label key "${k}" is invalid`);
		if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v))
			errs.push(`label ${k}="${v}" has an invalid value`);
	}
	for (const k of Object.keys(md.annotations ?? {}))
		if (!qualifiedKey(k))
			errs.push(`annotation key "${k}" is invalid`);
	if (o.kind === "Secret" || o.kind === "ConfigMap") {
		for (const [k, v] of Object.entries(o.data ?? {})) {
			if (!DATA_KEY.test(k) || k.length > 253)
				errs.push(`data key "${k}" is invalid`);
			if (o.kind === "Secret" && !BASE64.test(v))
				errs.push(`data.${k} is not base64`);
		}
	}
	if (o.kind === "StatefulSet" && o.spec) {
		const sel = o.spec.selector?.matchLabels ?? {};
		const tl = o.spec.template?.metadata?.labels ?? {};
		if (Object.keys(sel).length === 0)
			errs.push("spec.selector selects nothing");
		for (const [k, v] of Object.entries(sel))
			if (tl[k] !== v)
				errs.push(`spec.selector ${k}=${v} does not match the template's labels`);
		const pod = o.spec.template?.spec ?? {};
		const vols = new Set((pod.volumes ?? []).map((v) => v.name));
		for (const c of o.spec.volumeClaimTemplates ?? [])
			vols.add(c.metadata?.name);
		const names = new Set();
		for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
			if (!DNS_LABEL.test(c.name ?? ""))
				errs.push(`container name "${c.name}" is not a DNS-1123 label`);
			if (names.has(c.name))
				errs.push(`container name "${c.name}" is used twice`);
			names.add(c.name);
			for (const m of c.volumeMounts ?? [])
				if (!vols.has(m.name))
					errs.push(`container ${c.name} mounts "${m.name}", which is no volume`);
			const ports = new Set();
			for (const p of c.ports ?? []) {
				if (p.name !== undefined && !(p.name.length <= 15 && IANA_SVC_NAME.test(p.name) && /[a-z]/.test(p.name)))
					errs.push(`port name "${p.name}" is not an IANA service name`);
				ports.add(p.name);
			}
			for (const pr of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
				const port = pr?.httpGet?.port ?? pr?.tcpSocket?.port;
				if (typeof port === "string" && !ports.has(port))
					errs.push(`container ${c.name} probes port "${port}", which it does not declare`);
			}
		}
	}
	if (o.kind === "Service" && o.spec) {
		for (const p of o.spec.ports ?? [])
			if (p.name !== undefined && !(p.name.length <= 15 && IANA_SVC_NAME.test(p.name)))
				errs.push(`port name "${p.name}" is not an IANA service name`);
	}
	return errs;
}

// References between objects of the same set (apply would not fail, but
// the pods would never start): ConfigMaps, Secrets and Services named by
// a StatefulSet exist, and every Service selects some pod template.
function crossRules(objs) {
	const have = new Set(objs.map(({ o }) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`));
	const errs = [];
	for (const { file, o } of objs) {
		if (o.kind !== "StatefulSet")
			continue;
		const ns = o.metadata?.namespace ?? "";
		const pod = o.spec?.template?.spec ?? {};
		const need = (kind, name, why) => {
			if (!have.has(`${kind}/${ns}/${name}`))
				errs.push(`${file}: StatefulSet ${o.metadata?.name}: ${why} names ${kind} "${name}", which is not in the set`);
		};
		need("Service", o.spec?.serviceName, "spec.serviceName");
		for (const v of pod.volumes ?? [])
			if (v.secret)
				need("Secret", v.secret.secretName, `volume ${v.name}`);
		for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
			for (const e of c.envFrom ?? [])
				if (e.configMapRef)
					need("ConfigMap", e.configMapRef.name, `container ${c.name} envFrom`);
			for (const e of c.env ?? [])
				if (e.valueFrom?.secretKeyRef)
					need("Secret", e.valueFrom.secretKeyRef.name, `env ${e.name}`);
		}
	}
	for (const { file, o } of objs) {
		if (o.kind !== "Service" || !o.spec?.selector)
			continue;
		const sel = Object.entries(o.spec.selector);
		const hit = objs.some(({ o: s }) => s.kind === "StatefulSet" &&
		    s.metadata?.namespace === o.metadata?.namespace &&
		    sel.every(([k, v]) => s.spec?.template?.metadata?.labels?.[k] === v));
		if (!hit)
			errs.push(`${file}: Service ${o.metadata?.name} selects no pod template of the set`);
	}
	return errs;
}

async function main() {
	const args = process.argv.slice(2);
	if (args.length === 0) {
		console.error("usage: validate-k8s.mjs PATH...");
		process.exit(2);
	}
	const files = [];
	for (const a of args)
		collect(a, files);
	const objs = [];
	let bad = 0;
	for (const file of files) {
		let docs;
		try {
			docs = yaml.loadAll(fs.readFileSync(file, "utf8"));
		} catch (e) {
			console.log(`FAIL ${file}: not YAML: ${e.message}`);
			bad++;
			continue;
		}
		for (const o of docs) {
			if (o === null || o === undefined)
				continue;
			const what = `${file}: ${o.kind}/${o.metadata?.name}`;
			const Model = await model(o.apiVersion, o.kind);
			if (Model === null) {
				console.log(`FAIL ${what}: no schema for apiVersion ${o.apiVersion} kind ${o.kind}`);
				bad++;
				continue;
			}
			const errs = [];
			try {
				new Model(o).validate();
			} catch (e) {
				errs.push(`schema: ${e.message}`);
			}
			for (const e of apiserverRules(o))
				errs.push(`apiserver rule: ${e}`);
			if (errs.length > 0) {
				console.log(`FAIL ${what}: ${errs.join("; ")}`);
				bad++;
			} else {
				console.log(`ok   ${what}`);
			}
			objs.push({ file, o });
		}
	}
	for (const e of crossRules(objs)) {
		console.log(`FAIL ${e}`);
		bad++;
	}
	console.log(`validated ${objs.length} objects in ${files.length} files: ${bad} invalid`);
	if (objs.length === 0) {
		console.log("FAIL no object found");
		process.exit(1);
	}
	process.exit(bad > 0 ? 1 : 0);
}

main().catch((e) => {
	console.error(`validate-k8s: ${e.stack ?? e}`);
	process.exit(2);
});
