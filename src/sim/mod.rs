//! The simulated Android device: what tests and the demo use in place of an
//! emulator (none can run on the project's machines).
//!
//! Layers, each in its own file:
//! - [`ui`]: the widget tree a screen is made of (shared by the Android
//!   model, which builds it, and the renderer, which draws it);
//! - [`render`]: a screen to PNG (`screencap -p`) and to uiautomator XML;
//! - [`backend`]: the contract between the adbd protocol server and the
//!   Android model: spawn a shell command, read and write files;
//! - [`adbd`]: the adbd wire protocol on loopback TCP, which Debian's real
//!   `adb` server connects to;
//! - [`ctl`]: `simctl`, the control protocol for fault injection;
//! - [`os`]: the Android surface (shell commands, system services,
//!   permission dialog, logcat, appops, exit-info, fixture apps);
//! - [`runner`]: boots devices, serves them, answers `simctl`;
//! - [`emulator`]: the stand-in for the Android emulator executable
//!   (`consentry emulator-standin`): its command line, console and AVDs.

pub mod adbd;
pub mod backend;
pub mod ctl;
pub mod emulator;
pub mod os;
pub mod render;
pub mod runner;
pub mod ui;
