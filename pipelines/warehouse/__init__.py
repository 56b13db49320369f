"""The warehouse files: publishing a build without its restricted free text."""
