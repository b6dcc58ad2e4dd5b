import VLogCLI

VLogCommand.main()
