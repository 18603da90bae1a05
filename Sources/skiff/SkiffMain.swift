import ArgumentParser
import SkiffCommands

/// The executable only hands control to the command tree.
@main
struct SkiffMain: AsyncMainProtocol {
    typealias Command = SkiffCommand
}
