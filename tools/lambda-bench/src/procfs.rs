//! Peak resident set size of a process, from `/proc/<pid>/status`.

/// `VmHWM` (peak RSS) in KiB from the text of `/proc/<pid>/status`.
pub fn vm_hwm_kib(status: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix("VmHWM:")?;
        let mut parts = rest.split_whitespace();
        let value = parts.next()?.parse().ok()?;
        (parts.next() == Some("kB")).then_some(value)
    })
}

/// Peak RSS in KiB of a live process; `None` when it is gone or the kernel gives no figure.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .as_deref()
        .and_then(vm_hwm_kib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_from_the_status_text() {
        let status =
            "Name:\tbootstrap\nVmPeak:\t  800000 kB\nVmHWM:\t    9876 kB\nVmRSS:\t    9000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(9876));
    }

    #[test]
    fn missing_or_malformed_vm_hwm_gives_none() {
        assert_eq!(vm_hwm_kib("Name:\tx\nVmRSS:\t 12 kB\n"), None);
        assert_eq!(vm_hwm_kib("VmHWM:\t lots kB\n"), None);
        assert_eq!(vm_hwm_kib("VmHWM:\t 12 pages\n"), None);
    }

    #[test]
    fn peak_rss_of_this_process_is_positive() {
        let kib = peak_rss_kib(std::process::id()).unwrap();
        assert!(kib > 0);
    }
}
