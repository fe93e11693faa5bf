# Entry points, as kubernetes-csi projects have them. All find a JDK >= 21 on their own (hack/find-jdk.sh).
SHELL := /bin/bash
MVNW := ./mvnw -B -ntp
DRIVER_JAR := driver/target/quarkus-app/quarkus-run.jar
LOADCLIENT_JAR := loadclient/target/ordinal-loadclient.jar
ALLOCATOR_BENCH_JAR := allocator/target/benchmarks.jar
# What each jar is built from, so that make rebuilds it only when one of them is newer. Recursive (=): the file
# lists are read only by the targets that need them.
sources = $(shell find $(1) -type f 2>/dev/null)
DRIVER_INPUTS = pom.xml proto/pom.xml contract/pom.xml allocator/pom.xml driver/pom.xml \
	$(call sources,proto/src/main proto/src/build contract/src/main allocator/src/main driver/src/main)
LOADCLIENT_INPUTS = pom.xml proto/pom.xml loadclient/pom.xml $(call sources,proto/src/main proto/src/build loadclient/src/main)
ALLOCATOR_BENCH_INPUTS = pom.xml allocator/pom.xml $(call sources,allocator/src/main allocator/src/jmh)

.PHONY: run test build loadclient load bench-allocator bench-allocator-memory crash-test check-docs deps clean native native-check images kube-tools e2e cluster cluster-down

## run: build the driver if its sources changed, then start it all-in-one on /tmp/ordinal; its last line is the
##      socket (unix:///tmp/ordinal/csi.sock). JVM options and the start-up archive: hack/run-driver.sh.
##      Extra flags: make run ARGS="--disk fast=/mnt/nvme0 --node-id n1"
run: $(DRIVER_JAR)
	@exec hack/run-driver.sh $(ARGS)

## test: installs what the tests need (hack/install-deps.sh: Debian packages, helm, and the real cluster's programs
##       built from their Go modules by hack/get-kube-tools.sh: long the first time, then reused from
##       ~/.cache/ordinal-tools), then every test of every module, the real-Kubernetes ones of `make e2e` included.
##       As root: the mount, loop-device and btrfs tests need it, as in CI.
test: deps
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) verify -De2e.excludedGroups=
	@hack/check-leftovers.sh

## deps: the packages and tools the build and the tests need; quick when they are all there.
deps:
	@hack/install-deps.sh

## kube-tools: etcd, Kubernetes, kwok and the chart's CSI sidecars, built from their Go modules into .tools/
##         (hack/get-kube-tools.sh; versions in hack/kube-tools.env and the chart's values.yaml; needs Go >= 1.26).
kube-tools:
	@hack/get-kube-tools.sh

## e2e: Ordinal on a real Kubernetes built from Go modules (dev.ordinal.e2e.kube.Real*Test): etcd,
##      kube-apiserver, kube-controller-manager, kube-scheduler, kwok nodes and the chart's sidecars, Ordinal
##      installed from its chart. The first run builds the tools (long); later runs reuse them.
E2E_FLAGS := -De2e.excludedGroups= -Dgroups=real-kubernetes -Dsurefire.failIfNoSpecifiedTests=false
e2e:
	@hack/get-helm.sh
	@hack/get-kube-tools.sh
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -pl e2e -am verify $(E2E_FLAGS)

## cluster: the same real cluster with Ordinal installed, left running for you: prints the KUBECONFIG to use and
##          where each component logs. CLUSTER_DIR (default /tmp/ordinal-cluster) holds everything.
## cluster-down: stops it, unmounts what it mounted and removes CLUSTER_DIR.
CLUSTER_DIR ?= /tmp/ordinal-cluster
cluster:
	@if [ -e $(CLUSTER_DIR) ]; then echo "make cluster: $(CLUSTER_DIR) exists; make cluster-down first"; exit 2; fi
	@hack/get-helm.sh
	@hack/get-kube-tools.sh
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl e2e -am package -DskipTests \
	  dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
	@mkdir -p $(CLUSTER_DIR)
	@jdk=$$(hack/find-jdk.sh); nohup "$$jdk/bin/java" -Djava.util.logging.config.file=e2e/src/test/resources/logging.properties \
	  -Dorg.jboss.logging.provider=jdk -cp e2e/target/test-classes:$$(cat e2e/target/test-classpath.txt) \
	  dev.ordinal.e2e.kube.RealCluster $(CLUSTER_DIR) > $(CLUSTER_DIR)/cluster.log 2>&1 & echo $$! > $(CLUSTER_DIR)/cluster.pid
	@until grep -q 'make cluster-down' $(CLUSTER_DIR)/cluster.log 2>/dev/null; do \
	  if ! kill -0 $$(cat $(CLUSTER_DIR)/cluster.pid) 2>/dev/null; then cat $(CLUSTER_DIR)/cluster.log; exit 1; fi; sleep 1; \
	done; cat $(CLUSTER_DIR)/cluster.log

cluster-down:
	@hack/cluster-down.sh $(CLUSTER_DIR)

## build: the driver and its modules, without running tests.
build: $(DRIVER_JAR)
	@echo "make build: $(DRIVER_JAR) is up to date with its sources"

$(DRIVER_JAR): $(DRIVER_INPUTS)
	@echo "make: building the driver (its sources are newer than $@)"
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl driver -am package -DskipTests
	@touch $@

## loadclient: the CSI load client jar (see BENCHMARKS.md).
loadclient: $(LOADCLIENT_JAR)
	@echo "make loadclient: $(LOADCLIENT_JAR) is up to date with its sources"

$(LOADCLIENT_JAR): $(LOADCLIENT_INPUTS)
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl loadclient -am package -DskipTests
	@touch $@

## load: the load client against a running driver, e.g.
##       make load ARGS="--endpoint unix:///tmp/ordinal/csi.sock --scenario probe --duration 10s"
load: $(LOADCLIENT_JAR)
	@jdk=$$(hack/find-jdk.sh) && exec "$$jdk/bin/java" -jar $(LOADCLIENT_JAR) $(ARGS)

## bench-allocator: the allocator's JMH benchmarks (BENCHMARKS.md, "Allocator"). ARGS are JMH's; the default is the
##       throughput run of PlacementBenchmark (~2.5 min).
bench-allocator: $(ALLOCATOR_BENCH_JAR)
	@jdk=$$(hack/find-jdk.sh) && exec "$$jdk/bin/java" -jar $(ALLOCATOR_BENCH_JAR) $(or $(ARGS),PlacementBenchmark)

## bench-allocator-memory: the allocator model's memory per allocation (JOL and heap difference, ~10 s).
bench-allocator-memory: $(ALLOCATOR_BENCH_JAR)
	@jdk=$$(hack/find-jdk.sh) && exec "$$jdk/bin/java" -Xmx2g -Djdk.attach.allowAttachSelf=true \
	  -XX:+EnableDynamicAgentLoading -cp $(ALLOCATOR_BENCH_JAR) dev.ordinal.allocator.bench.MemoryFootprint

$(ALLOCATOR_BENCH_JAR): $(ALLOCATOR_BENCH_INPUTS)
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -f allocator/pom.xml -Pbench -DskipTests package
	@touch $@

## crash-test: the crash harness alone (README, "Crash testing"), as root: every layout and access type, KILLS (default
##       20) kills each; LAYOUT=<label>[,<label>...] picks layouts (dir, ext4-image, xfs-image, block-image,
##       subvolume, nfs); SEED replays a printed seed: make crash-test LAYOUT=subvolume KILLS=200 SEED=1234
KILLS ?= 20
crash-test:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -pl driver -am test -Dtest=CrashHarnessTest \
	  -Dsurefire.failIfNoSpecifiedTests=false -Dordinal.crash.kills=$(KILLS) $(if $(SEED),-Dordinal.crash.seed=$(SEED)) \
	  $(if $(LAYOUT),-Dordinal.crash.layouts=$(LAYOUT))

## check-docs: every command printed in README.md and BENCHMARKS.md, run or checked (hack/check-docs-commands.sh).
check-docs:
	@hack/check-docs-commands.sh

clean:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q clean

# ---- images (docs/IMAGES.md) ---------------------------------------------------------------------------------------
# The tag the chart pulls: its appVersion (the POM's version has -SNAPSHOT between releases).
VERSION ?= $(shell sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' charts/ordinal/Chart.yaml)
REGISTRY ?= ghcr.io/ordinal-csi
# The container engine: docker, else podman. Only a client may be installed; images needs an engine that answers.
ENGINE ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
NATIVE_IMAGE ?= $(shell command -v native-image 2>/dev/null || ls $${GRAALVM_HOME:-/nonexistent}/bin/native-image 2>/dev/null)

## native: the native executables driver/target/ordinal-driver-runner and controller/target/ordinal-controller-runner,
##         with GraalVM/Mandrel's native-image. Without it, says so and points at `make native-check` and the images.
native:
	@if [ -z "$(NATIVE_IMAGE)" ]; then \
	  echo "make native: no native-image here (neither on PATH nor in \$$GRAALVM_HOME/bin): the executables cannot be built on this machine."; \
	  echo "  Build them inside the Mandrel builder image instead: make images (needs a container engine),"; \
	  echo "  or check the native configuration without native-image: make native-check."; \
	  exit 2; \
	fi
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -pl driver,controller -am package -Pnative -DskipTests \
	  -Dquarkus.native.graalvm-home=$$(dirname $$(dirname $$(readlink -f $(NATIVE_IMAGE))))

## native-check: everything about the native build that can be checked without native-image: Quarkus' native build
##         up to the point where it would call native-image (-Dquarkus.native.sources-only=true), then hack/NativeCheck.java
##         on its output (reflection, run-time initialisation, epoll's JNI metadata and library, executable names).
native-check:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl driver,controller -am package -Pnative -DskipTests \
	  -Dquarkus.native.sources-only=true && "$$jdk/bin/java" hack/NativeCheck.java driver controller

## images: the four images, native and JVM, tagged $(REGISTRY)/ordinal-{driver,controller}:$(VERSION)[-jvm].
##         Needs a container engine with BuildKit; says so plainly when there is none.
images:
	@if [ -z "$(ENGINE)" ]; then \
	  echo "make images: no container engine client (docker or podman) on PATH; nothing built."; exit 2; \
	fi
	@if ! $(ENGINE) info >/dev/null 2>&1; then \
	  echo "make images: $(ENGINE) is installed but no container engine answers ('$(notdir $(ENGINE)) info' fails): nothing built."; \
	  echo "  Start an engine (or point DOCKER_HOST at one), then run make images again. Without one: make native-check."; \
	  exit 2; \
	fi
	$(ENGINE) build -f Dockerfile.native --target driver -t $(REGISTRY)/ordinal-driver:$(VERSION) .
	$(ENGINE) build -f Dockerfile.native --target controller -t $(REGISTRY)/ordinal-controller:$(VERSION) .
	$(ENGINE) build -f Dockerfile.jvm --target driver -t $(REGISTRY)/ordinal-driver:$(VERSION)-jvm .
	$(ENGINE) build -f Dockerfile.jvm --target controller -t $(REGISTRY)/ordinal-controller:$(VERSION)-jvm .

## bench-compare: Ordinal and csi-driver-host-path v1.15.0 (built from its Go module into the tools cache) side by
##         side through the load client, A B A B, medians and ratios, RSS and start-up (a few minutes; BENCHMARKS.md).
##         BENCH_REFERENCE=none measures Ordinal alone; see hack/bench-compare.sh for the other settings.
.PHONY: bench-compare
bench-compare: build loadclient
	@hack/bench-compare.sh
