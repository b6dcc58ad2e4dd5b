import Foundation
import Testing

/// An OpenSSH server on 127.0.0.1 for this test only: its own host key, one authorized key made
/// for the test, no passwords. `ssh` is the command line GNU parallel's `--ssh` takes.
final class SSHServer {
    let dir: URL
    let port = freePort()
    let ssh: String
    var log: String { (try? String(contentsOf: dir.appendingPathComponent("sshd.log"), encoding: .utf8)) ?? "" }

    init(dir: URL) throws {
        self.dir = dir
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for key in ["host_key", "user_key"] {
            let r = try runProcess(
                "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir.appendingPathComponent(key).path])
            #expect(r.status == 0, "ssh-keygen: \(r.stderr)")
        }
        try FileManager.default.copyItem(
            at: dir.appendingPathComponent("user_key.pub"), to: dir.appendingPathComponent("authorized_keys"))
        // sshd's privilege-separation folder (an empty directory; Debian's service makes it at boot).
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let conf = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(dir.path)/host_key
            PidFile \(dir.path)/sshd.pid
            AuthorizedKeysFile \(dir.path)/authorized_keys
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PubkeyAuthentication yes
            PermitRootLogin prohibit-password
            UsePAM no
            StrictModes no
            LogLevel VERBOSE

            """
        try conf.write(to: dir.appendingPathComponent("sshd_config"), atomically: true, encoding: .utf8)
        // sshd forks into the background (no -D): nothing of it stays tied to this process.
        let started = try runProcess(
            "/usr/sbin/sshd",
            ["-f", dir.appendingPathComponent("sshd_config").path, "-E", dir.appendingPathComponent("sshd.log").path])
        #expect(started.status == 0, "sshd: \(started.stderr)")
        ssh =
            "ssh -p \(port) -i \(dir.path)/user_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
        poll(seconds: 5) { listening(port) }
    }
    deinit {
        if let pid = (try? String(contentsOf: dir.appendingPathComponent("sshd.pid"), encoding: .utf8))
            .flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        {
            kill(pid, SIGTERM)
        }
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func listening(_ port: Int) -> Bool { onLoopback(port, connect) }

/// A one-node Slurm on this machine: munge with a generated key and its own socket, slurmctld
/// and slurmd with state and spool under a temporary folder. `env` is what sbatch and squeue need.
final class SlurmCluster {
    let dir: URL
    let env: [String: String]
    var ready = false
    var why = ""

    init(dir: URL) throws {
        self.dir = dir
        let d = dir.path
        for sub in ["state", "spool", "log"] {
            try FileManager.default.createDirectory(
                at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        var key = Data(count: 1024)
        for i in 0..<key.count { key[i] = UInt8.random(in: 0...255) }
        try key.write(to: dir.appendingPathComponent("munge.key"))
        chmod(dir.appendingPathComponent("munge.key").path, 0o400)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let ctld = freePort(count: 2)
        let conf = """
            ClusterName=vlogtest
            SlurmctldHost=\(host)
            SlurmUser=root
            AuthType=auth/munge
            AuthInfo=socket=\(d)/munge.sock
            CredType=cred/munge
            SlurmctldPort=\(ctld)
            SlurmdPort=\(ctld + 1)
            StateSaveLocation=\(d)/state
            SlurmdSpoolDir=\(d)/spool
            SlurmctldPidFile=\(d)/slurmctld.pid
            SlurmdPidFile=\(d)/slurmd.pid
            SlurmctldLogFile=\(d)/log/slurmctld.log
            SlurmdLogFile=\(d)/log/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            ReturnToService=2
            MpiDefault=none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            NodeName=\(host) CPUs=\(ProcessInfo.processInfo.activeProcessorCount) State=UNKNOWN
            PartitionName=main Nodes=\(host) Default=YES MaxTime=INFINITE State=UP

            """
        try conf.write(to: dir.appendingPathComponent("slurm.conf"), atomically: true, encoding: .utf8)
        env = ["SLURM_CONF": "\(d)/slurm.conf"]
        // Each daemon forks into the background (a daemon started with Foundation's Process and
        // kept in the foreground holds a descriptor that stalls later pipes); stopped by pid file.
        func start(_ exe: String, _ args: [String]) throws {
            // Through sh, with the daemon's output to a file: a daemon holding our pipe would stall it.
            let line = ([exe] + args).map { "'\($0)'" }.joined(separator: " ")
            // Descriptors above 2 that this process let the shell inherit are closed first.
            let close = "for fd in $(ls /proc/$$/fd); do [ $fd -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null; "
            let r = try runProcess(
                "/bin/bash", ["-c", close + "\(line) </dev/null >>'\(d)/daemons.log' 2>&1"],
                env: ["SLURM_CONF": "\(d)/slurm.conf"])
            #expect(r.status == 0, "\(exe): \(r.stderr)")
        }
        try start(
            "/usr/sbin/munged",
            [
                "--key-file=\(d)/munge.key", "--socket=\(d)/munge.sock", "--pid-file=\(d)/munged.pid",
                "--log-file=\(d)/munged.log", "--seed-file=\(d)/munge.seed", "--force",
            ])
        try start("/usr/sbin/slurmctld", ["-f", "\(d)/slurm.conf"])
        try start("/usr/sbin/slurmd", ["-f", "\(d)/slurm.conf"])
        for _ in 0..<60 where !ready {
            usleep(250_000)
            let r = try runProcess("/usr/bin/sinfo", ["-h", "-o", "%t"], env: env)
            ready = r.status == 0 && r.stdout.contains("idle")
            why = r.stdout + r.stderr
        }
        if !ready {
            let logs = ["munged.log", "log/slurmctld.log", "log/slurmd.log"].map {
                ((try? String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)) ?? "").suffix(600)
            }
            why = "sinfo: \(why); logs: \(logs.joined(separator: " | "))"
        }
    }
    deinit {
        for name in ["slurmd.pid", "slurmctld.pid", "munged.pid"] {
            if let pid = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8))
                .flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            {
                kill(pid, SIGTERM)
            }
        }
    }
}
