declare module '@amplitude/ua-parser-js' {
  interface UAParserBrowser {
    name?: string
    version?: string
    major?: string
  }
  interface UAParserOS {
    name?: string
    version?: string
  }
  interface UAParserDevice {
    vendor?: string
    model?: string
    type?: string
  }
  class UAParser {
    constructor(ua?: string)
    getBrowser(): UAParserBrowser
    getOS(): UAParserOS
    getDevice(): UAParserDevice
  }
  export default UAParser
}
