//! Analyzers: each declares the paths it wants and turns those files into results during the
//! single pass. One file per cataloger.

pub mod apk;
pub mod dpkg;
pub mod dpkg_copyright;
pub mod image_files;
pub mod lang;
pub mod malware;
pub mod os;
pub mod package_files;
mod records;
pub mod rpm;
pub mod secret;

pub use apk::ApkCataloger;
pub use dpkg::DpkgCataloger;
pub use dpkg_copyright::DpkgCopyrightAnalyzer;
pub use image_files::ImageFilesAnalyzer;
pub use os::OsAnalyzer;
pub use package_files::PackageFilesAnalyzer;
pub use rpm::RpmCataloger;
pub use secret::SecretAnalyzer;

use artifact::Analyzer;

/// The analyzers a default image scan runs.
pub fn default_analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(OsAnalyzer),
        Box::new(DpkgCataloger),
        Box::new(DpkgCopyrightAnalyzer),
        Box::new(ApkCataloger),
        Box::new(RpmCataloger),
        Box::new(lang::python::PythonCataloger),
        Box::new(lang::node::NodeCataloger),
        Box::new(lang::ruby::RubyCataloger),
        Box::new(lang::php::PhpCataloger),
        Box::new(lang::dotnet::DotnetCataloger),
        Box::new(lang::golang::GoBinaryCataloger),
        Box::new(lang::golang::GoModCataloger),
        Box::new(lang::rust::RustBinaryCataloger),
        Box::new(lang::rust::CargoLockCataloger),
        Box::new(lang::java::JavaArchiveCataloger),
        Box::new(ImageFilesAnalyzer),
        Box::new(PackageFilesAnalyzer),
    ]
}
