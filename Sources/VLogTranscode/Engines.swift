import Foundation
import VLogConfig
import VLogSupport

/// Hands a list of job specs to an engine; returns each spec's engine job id, in order.
struct EngineSubmit {
    let cluster: Cluster
    let runner: any ProcessRunning
    var config: ClusterConfig { cluster.config }
    var work: URL { cluster.workRoot }

    /// The worker's command line for one list entry (`INDEX` filled by the engine).
    func workerArgs(list: String, index: String) -> [String] {
        [config.vlog, "worker", "run", "--storage", cluster.workerStorage, "--list", list, "--index", index]
    }

    func submit(
        engine: ClusterEngine, specs: [String], list: String, localList: URL, stamp: Int, summary: inout ClusterSummary
    ) throws -> [String] {
        switch engine {
        case .parallel:
            // GNU parallel, detached from vlog (it runs as long as the workers do): one job per
            // spec, spread over the hosts by SSH; `{}` is the spec.
            var args = [
                "--will-cite", "--jobs", "\(config.parallelism)", "--sshlogin", config.hosts.joined(separator: ","),
            ]
            if let ssh = config.ssh { args += ["--ssh", ssh] }
            args += ["--joblog", work.appendingPathComponent("parallel-\(stamp).joblog").path]
            args += [config.vlog, "worker", "run", "--storage", cluster.workerStorage, "{}", ":::"] + specs
            let pid = try spawnDetached("parallel", args, log: work.appendingPathComponent("parallel-\(stamp).log"))
            return specs.map { _ in "\(WorkerLock.hostName):\(pid)" }
        case .command:
            return try specs.map { spec in
                let line = (config.command ?? "").replacingOccurrences(of: "{spec}", with: spec)
                let pid = try spawnDetached(
                    "/bin/sh", ["-c", line], log: work.appendingPathComponent("command-\(stamp).log"))
                return "\(WorkerLock.hostName):\(pid)"
            }
        case .slurm:
            let script = work.appendingPathComponent("slurm-\(stamp).sh")
            let body =
                "#!/bin/sh\n# vlog transcode --dispatch slurm: one array task per line of \(list)\nexec "
                + workerArgs(list: list, index: "\"$SLURM_ARRAY_TASK_ID\"").map {
                    $0.hasPrefix("\"") ? $0 : SystemProcessRunner.shellWord($0)
                }.joined(separator: " ") + "\n"
            try FileIO.writeAtomically(Data(body.utf8), to: script)
            chmod(script.path, 0o755)
            let r = try runner.run(
                "sbatch",
                [
                    "--parsable", "--array=0-\(specs.count - 1)", "--job-name=vlog-transcode",
                    "--output=\(work.path)/slurm-%A_%a.log",
                ] + config.slurmOptions + [script.path], timeout: 60)
            guard r.status == 0,
                let id = r.stdout.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                ),
                !id.isEmpty
            else { throw VLogError.tool("sbatch did not take the job array: \(r.stderrTail)") }
            return specs.indices.map { "\(id)_\($0)" }
        case .kubernetes:
            let name = "vlog-transcode-\(stamp)"
            let manifest = work.appendingPathComponent("\(name).yaml")
            try FileIO.writeAtomically(
                Data(
                    KubernetesJob.manifest(name: name, count: specs.count, list: list, config: config, cluster: cluster)
                        .utf8),
                to: manifest)
            // Applied when kubectl here has a cluster to talk to; else the manifest is the result.
            if SystemProcessRunner.which("kubectl") != nil,
                (try? runner.run("kubectl", ["config", "current-context"], timeout: 30))?.status == 0
            {
                let r = try runner.run("kubectl", ["apply", "-f", manifest.path], timeout: 60)
                guard r.status == 0 else { throw VLogError.tool("kubectl apply failed: \(r.stderrTail)") }
            } else {
                summary.manifest = manifest
            }
            return specs.indices.map { "\(name)_\($0)" }
        }
    }

    /// Starts a process that outlives vlog (its own session, output to `log`); returns the pid of a
    /// process that lives exactly as long as it: `setsid --wait`, whose pid collect asks about
    /// (`Cluster.engineGone`). Foundation starts every child as a process group leader, so plain
    /// `setsid` forks and its own pid is gone at once: collect then took an engine with jobs still
    /// queued for gone, and sent (and failed) videos whose parts were merely waiting their turn.
    func spawnDetached(_ exe: String, _ args: [String], log: URL) throws -> Int32 {
        guard let path = SystemProcessRunner.which(exe) else {
            throw VLogError.tool(
                "\(exe) is not installed; install it (Debian: apt-get install \(exe == "parallel" ? "parallel" : exe))")
        }
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        p.arguments = ["--wait", path] + args
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p.processIdentifier
    }
}

/// A Kubernetes Indexed Job: `completions` pods, each running the list entry at its completion
/// index, with the media storage's volume claim mounted where `storage` says the workers see it.
enum KubernetesJob {
    static func manifest(name: String, count: Int, list: String, config: ClusterConfig, cluster: Cluster) -> String {
        let args = EngineSubmit(cluster: cluster, runner: cluster.runner).workerArgs(
            list: list, index: "$(JOB_COMPLETION_INDEX)")
        func q(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return """
            # vlog transcode --dispatch kubernetes: one pod per job spec in \(list).
            # Apply with: kubectl apply -f \(name).yaml; vlog transcode --collect publishes the results.
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: \(name)
              labels:
                app.kubernetes.io/name: vlog-transcode
            spec:
              completionMode: Indexed
              completions: \(count)
              parallelism: \(config.parallelism)
              backoffLimit: \(max(1, count))
              template:
                metadata:
                  labels:
                    app.kubernetes.io/name: vlog-transcode
                spec:
                  restartPolicy: Never
                  containers:
                    - name: worker
                      image: \(q(config.kubernetesImage ?? ""))
                      command: [\(args.map(q).joined(separator: ", "))]
                      env:
                        - name: JOB_COMPLETION_INDEX
                          valueFrom:
                            fieldRef:
                              fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
                      volumeMounts:
                        - name: media
                          mountPath: \(q(config.storage ?? config.kubernetesMount))
                  volumes:
                    - name: media
                      persistentVolumeClaim:
                        claimName: \(q(config.kubernetesClaim ?? ""))

            """
    }
}
