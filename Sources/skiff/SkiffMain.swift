import ArgumentParser
import SkiffCommands

/// The executable only hands control to the command tree.
@main
extension SkiffCommand {}
