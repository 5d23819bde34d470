//! Parsers of Android's text output, pure and synchronous: text in, typed
//! records out, every unknown line kept and counted. These read both real
//! devices' output (tested on `../shared/real-captures`) and the simulated
//! device's.

pub mod appops;
pub mod exit_info;
pub mod focus;
pub mod logcat;
pub mod package;
pub mod perms;
pub mod props;
pub mod quote;
pub mod shell_v2;
pub mod uiautomator;
